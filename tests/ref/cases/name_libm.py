import torch


def reference(t):
    q = t["q"]
    z = (torch.softmax(q * t["expf"], dim=-1) * torch.sqrt(torch.abs(t["fabs"]) + 1) ** 1.5
         + torch.tanh(q * t["tanhf"]) + torch.log(q * q + 1) + torch.sigmoid(q * t["powf"])).sum() * t["memset"]
    return {"z": z}
