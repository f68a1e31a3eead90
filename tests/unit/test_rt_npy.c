/* test_rt_npy: the .npy reader against hand-crafted files — a good one of each
 * dtype reads back; every malformed header, an unsupported dtype or byte
 * order, Fortran order, short data and trailing bytes are errors that name
 * the file; the writer's output reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "bp_runtime.h"

static char path[64];

/* Write a version 1.0 .npy file: header text dict (padded with spaces and
 * '\n' to 64 bytes unless raw), then nbytes of data. */
static void write_npy(const char *dict, const void *data, size_t nbytes, bool raw)
{
    char h[512];
    size_t n = strlen(dict);
    memcpy(h, dict, n);
    if (!raw) {
        size_t total = (10 + n + 1 + 63) / 64 * 64 - 10;
        memset(h + n, ' ', total - n);
        h[total - 1] = '\n';
        n = total;
    }
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff), (unsigned char)(n >> 8) };
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pre, 1, 10, f), 10);
    assert_int_equal(fwrite(h, 1, n, f), n);
    if (nbytes)
        assert_int_equal(fwrite(data, 1, nbytes, f), nbytes);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "test_rt_npy_%d.npy", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* The file is rejected with a message that names it and contains want. */
static void rejected(const char *dict, size_t nbytes, const char *want)
{
    static const char zeros[64];
    write_npy(dict, zeros, nbytes, false);
    bp_array a;
    char err[512] = "";
    if (bp_npy_read(path, &a, err, sizeof err) == 0) {
        bp_array_free(&a);
        fail_msg("accepted: %s", dict);
    }
    assert_non_null(strstr(err, path));
    if (!strstr(err, want))
        fail_msg("header %s: message '%s' lacks '%s'", dict, err, want);
    assert_null(a.data);
}

static void test_good_files_read(void **state)
{
    (void)state;
    float f[6] = { 1, 2, 3, 4, 5, 6 };
    write_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f, false);
    bp_array a;
    char err[256];
    assert_int_equal(bp_npy_read(path, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, BP_F32);
    assert_int_equal(a.rank, 2);
    assert_int_equal(a.dims[0], 2);
    assert_int_equal(a.dims[1], 3);
    assert_true(((float *)a.data)[5] == 6.0f);
    bp_array_free(&a);
    /* keys in another order, double quotes, no trailing comma, rank 1 and 0 */
    double d[3] = { 1, 2, 3 };
    write_npy("{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f8\"}", d, sizeof d, false);
    assert_int_equal(bp_npy_read(path, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, BP_F64);
    assert_int_equal(a.rank, 1);
    bp_array_free(&a);
    int64_t i = 7;
    write_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", &i, sizeof i, false);
    assert_int_equal(bp_npy_read(path, &a, err, sizeof err), 0);
    assert_int_equal(a.rank, 0);
    assert_int_equal(*(int64_t *)a.data, 7);
    bp_array_free(&a);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    rejected("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,), }", 8, "fortran_order");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) junk, }", 8, "malformed");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,junk), }", 8, "malformed shape");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "malformed shape");
    rejected("{'descr': '<f4', 'shape': (2,), }", 8, "missing key");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (3,), }", 8, "twice");
    rejected("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 8, "twice");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", 8, "unexpected key");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8, "after the dict");
    rejected("{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", 8, "malformed");
    rejected("{'descr': <f4, 'fortran_order': False, 'shape': (2,), }", 8, "descr");
    rejected("'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "malformed");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8, "range");
}

static void test_unsupported_layouts(void **state)
{
    (void)state;
    rejected("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4, "unsupported dtype");
    rejected("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "big-endian");
    rejected("{'descr': '<f4x', 'fortran_order': False, 'shape': (2,), }", 8, "unsupported dtype");
    rejected("{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }", 8, "unsupported dtype");
    rejected("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, "Fortran");
}

static void test_data_size_is_exact(void **state)
{
    (void)state;
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "shorter");
    rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 9, "trailing bytes");
    rejected("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 8, "trailing bytes");
}

static void test_bad_magic_and_version(void **state)
{
    (void)state;
    FILE *f = fopen(path, "wb");
    fputs("PK\x03\x04 not an npy file", f);
    fclose(f);
    bp_array a;
    char err[256];
    assert_int_equal(bp_npy_read(path, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad magic"));
}

static void test_write_reads_back(void **state)
{
    (void)state;
    int32_t v[4] = { 1, -2, 3, -4 };
    bp_array a = { .dtype = BP_I32, .rank = 2, .dims = { 2, 2 }, .data = v }, b;
    char err[256];
    assert_int_equal(bp_npy_write(path, &a, err, sizeof err), 0);
    assert_int_equal(bp_npy_read(path, &b, err, sizeof err), 0);
    assert_int_equal(b.dtype, BP_I32);
    assert_memory_equal(b.data, v, sizeof v);
    bp_array_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_files_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_size_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_magic_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_reads_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
