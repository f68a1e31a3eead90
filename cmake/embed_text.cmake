# Write the file IN as a C string constant VAR into OUT.
file(READ ${IN} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\"" text "${text}")
file(WRITE ${OUT} "/* generated from ${IN} */\nconst char ${VAR}[] = \"${text}\";\n")
