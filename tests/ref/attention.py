"""Shared pieces of the attention cases' references (cases/op_causal*.py, op_bmm_qkt.py)."""
import torch


def causal(s):
    """s[..., T, T] with every entry above the diagonal -inf (SPEC §1 `causal`)."""
    T = s.shape[-1]
    above = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    return s.masked_fill(above, float("-inf"))
