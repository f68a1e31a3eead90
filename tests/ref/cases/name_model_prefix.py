import torch

REJECT_OK = True


def reference(t):
    s = torch.relu(t["q"] @ t["m_gemm"] + t["m_epilogue"])
    logp = s - torch.logsumexp(s, dim=1, keepdim=True)
    xent = -logp[torch.arange(s.shape[0]), t["y"]].mean()
    return {"z": xent + (t["m_scale"] ** 2).sum()}
