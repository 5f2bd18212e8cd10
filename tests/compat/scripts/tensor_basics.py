# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""Tensor basics as the 60-minute blitz and the Tensors tutorial write them."""

import json

import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)

x = torch.zeros(5, 3, dtype=torch.long)
y = torch.tensor([5.5, 3])
z = y.new_ones(5, 3, dtype=torch.double)

tensor = torch.ones(4, 4)
first_row = tensor[0].tolist()
last_column = tensor[..., -1].tolist()
tensor[:, 1] = 0
t1 = torch.cat([tensor, tensor, tensor], dim=1)
s = torch.stack([tensor, tensor], dim=0)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
z1 = tensor * tensor
z2 = tensor.mul(tensor)

agg = tensor.sum()
agg_item = agg.item()

tensor.add_(5)
tensor.mul_(2)
tensor.sub_(1)
tensor.div_(3)

r = torch.arange(16.0)
v = r.view(4, 4)
w = r.view(-1, 8)
v[0, 0] = 100.0  # a view shares storage with its base

# the NumPy bridge shares memory both ways
t = torch.ones(5)
n = t.numpy()
t.add_(1)
n2 = np.ones(5)
t2 = torch.from_numpy(n2)
np.add(n2, 1, out=n2)
t3 = torch.tensor(n2)  # torch.tensor copies
n2 += 1

mixed = torch.ones(3) + torch.arange(3)  # float32 with int64 stays float32
ints = torch.arange(6).reshape(2, 3)

result = {
    "x_data_is_int64": x_data.dtype == torch.int64,
    "x_ones": x_ones.tolist(),
    "x_rand_is_float32": x_rand.dtype == torch.float32,
    "x_rand_in_unit": bool(((x_rand >= 0) & (x_rand < 1)).all()),
    "zeros_long": [x.dtype == torch.long, list(x.size())],
    "y_is_float": y.dtype == torch.float,
    "new_ones": [z.dtype == torch.double, list(z.shape)],
    "first_row": first_row,
    "last_column": last_column,
    "t1_size": list(t1.size()),
    "t1_size_dim1": t1.size(1),
    "stack_shape": list(s.shape),
    "numel": t1.numel(),
    "matmul": y1.tolist(),
    "matmul_same": bool(torch.equal(y1, y2)),
    "mul_same": bool(torch.equal(z1, z2)),
    "agg_item": agg_item,
    "agg_item_type": type(agg_item).__name__,
    "inplace": tensor.tolist(),
    "view_sizes": [list(v.size()), list(w.size())],
    "view_shares": r[0].item(),
    "numpy_shares": n.tolist(),
    "from_numpy_shares": t2.tolist(),
    "tensor_copies": t3.tolist(),
    "mixed_is_float32": mixed.dtype == torch.float32,
    "int_sum_is_int64": ints.sum().dtype == torch.int64,
    "int_mean_float": ints.float().mean().item(),
    "max_dim": [ints.max(dim=1)[0].tolist(), ints.max(dim=1)[1].tolist()],
    "argmax": ints.argmax(dim=0).tolist(),
    "sum_keepdim": list(ints.sum(dim=1, keepdim=True).shape),
    "unsqueeze": list(ints.unsqueeze(0).shape),
    "transpose_t": ints.t().tolist(),
    "comparison": (ints > 2).tolist(),
    "bool_count": (ints > 2).sum().item(),
    "iterate_rows": [row.tolist() for row in ints],
}
print(json.dumps(result))
