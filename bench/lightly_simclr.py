"""The PyTorch reference for bench/compare.py: lightly's SimCLR on the same ResNet, image size and batch.

Run it in a bench-only environment (never a dependency of semisuper):
    python -m venv ../lightly-venv && ../lightly-venv/bin/pip install lightly torch torchvision
    ../lightly-venv/bin/python bench/lightly_simclr.py --steps 10
The network mirrors the `cpu` preset: ResNet-18 at half width (32-64-128-256 channels), a 3x3 stride-2 stem without
max-pool, 1-channel 64 px input (with --depth 50, the `gpu` preset's: torchvision's ResNet-50 with its ImageNet stem,
on the GPU when there is one, --bf16 for bfloat16 autocast), then lightly's 3-layer `SimCLRProjectionHead` (256-256-128), `NTXentLoss` at
temperature 0.2 and lightly's LARS. The two views are made once, outside the timed loop (lightly users would
augment in a `DataLoader`, which would only slow it down), so this is the train step alone. Prints one JSON line."""
import argparse, json, os, time

import torch
from torch import nn
from lightly.loss import NTXentLoss
from lightly.models.modules import SimCLRProjectionHead
from lightly.utils.lars import LARS

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=128)
p.add_argument("--size", type=int, default=64)
p.add_argument("--width", type=float, default=0.5)
p.add_argument("--steps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--depth", type=int, default=18, choices=(18, 50))
p.add_argument("--channels", type=int, default=1)
p.add_argument("--bf16", action="store_true")
args = p.parse_args()
device = "cuda" if torch.cuda.is_available() else "cpu"


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                               nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x): return torch.relu(self.a(x) + self.short(x))


def resnet18(width, channels=1):
    base = int(64 * width)
    layers, cin = [nn.Conv2d(channels, base, 3, 2, 1, bias=False), nn.BatchNorm2d(base), nn.ReLU(inplace=True)], base
    for stage in range(4):
        for i in range(2):
            cout = base * 2**stage
            layers.append(Block(cin, cout, 2 if stage > 0 and i == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()), cin


def resnet50(width, channels):
    import torchvision
    if width != 1: raise SystemExit("--depth 50 mirrors the gpu preset's full-width ResNet-50 only")
    net = torchvision.models.resnet50(weights=None)
    net.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
    features, net.fc = net.fc.in_features, nn.Identity()
    return net, features


torch.manual_seed(0)
encoder, features = resnet50(args.width, args.channels) if args.depth == 50 else resnet18(args.width, args.channels)
model = nn.Sequential(encoder, SimCLRProjectionHead(features, features, 128, num_layers=3)).to(device)
criterion = NTXentLoss(temperature=0.2)
optimizer = LARS(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)
views = [torch.rand(args.batch, args.channels, args.size, args.size, device=device) for _ in range(2)]
model.train()


def step():
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device, dtype=torch.bfloat16, enabled=args.bf16):
        loss = criterion(model(views[0]), model(views[1]))
    loss.backward()
    optimizer.step()
    return loss


for _ in range(args.warmup): step()
start = time.perf_counter()
for _ in range(args.steps): loss = step()
if device == "cuda": torch.cuda.synchronize()
seconds = time.perf_counter() - start
import lightly
print(json.dumps({"backend": f"lightly {lightly.__version__} (torch {torch.__version__}, {device})", "batch": args.batch,
                  "size": args.size, "train_views_per_s": round(2 * args.batch * args.steps / seconds, 1),
                  "loss": round(loss.item(), 3), "threads": torch.get_num_threads(), "cpus": os.cpu_count()}))
