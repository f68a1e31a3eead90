import torch
from unary import elementwise_case

reference = elementwise_case(lambda v: torch.sqrt(v), domain=lambda v: v ** 2 + 0.5)
