"""PyTorch definitions of the zoo networks that torchvision does not ship as published.

scripts/make_zoo imports each of them with scripts/import_torch (`dfsim_import.zoo:lenet5` and
so on) to write models/*.json; models/README.md says where each shape comes from. Only shapes
matter: no weights are ever loaded, and layers without MACs (LRN, batch norm, activations) are
left out or kept only where they help reading the code.
"""

import torch
from torch import nn


def lenet5():
    """LeNet-5 (LeCun et al., Proc. IEEE 1998) on a 28x28 MNIST digit padded to 32x32.

    C1 and C3 are the two CONV layers (C3 fully connected to S2's 6 maps, as the seed's table
    lists: channels 1, 6; filters 6, 16). C5 covers its whole 5x5 input, so it is an FC layer
    (in_shape 16x5x5), and F6 is the second FC layer; the paper's output layer is a Euclidean
    RBF, not a multiply-accumulate layer, and is not modelled. S2/S4 are 2x2 average pools.
    """
    return _Named([
        ("c1", nn.Conv2d(1, 6, 5, padding=2)), ("act1", nn.Tanh()),
        ("s2", nn.AvgPool2d(2)),
        ("c3", nn.Conv2d(6, 16, 5)), ("act3", nn.Tanh()),
        ("s4", nn.AvgPool2d(2)),
        ("flatten", nn.Flatten()),
        ("c5", nn.Linear(16 * 5 * 5, 120)), ("act5", nn.Tanh()),
        ("f6", nn.Linear(120, 84)), ("act6", nn.Tanh()),
    ])


class _Named(nn.Sequential):
    """An nn.Sequential whose children have the given names (so layer names read well)."""

    def __init__(self, items):
        super().__init__()
        for name, module in items:
            self.add_module(name, module)


class _Inception(nn.Module):
    """An inception module of GoogLeNet v1: 1x1 | 1x1->3x3 | 1x1->5x5 | 3x3 maxpool->1x1."""

    def __init__(self, cin, c1, c3r, c3, c5r, c5, pp):
        super().__init__()
        self.b1 = nn.Conv2d(cin, c1, 1)
        self.b3_reduce = nn.Conv2d(cin, c3r, 1)
        self.b3 = nn.Conv2d(c3r, c3, 3, padding=1)
        self.b5_reduce = nn.Conv2d(cin, c5r, 1)
        self.b5 = nn.Conv2d(c5r, c5, 5, padding=2)
        self.pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.pool_proj = nn.Conv2d(cin, pp, 1)

    def forward(self, x):
        relu = torch.relu
        return torch.cat([relu(self.b1(x)),
                          relu(self.b3(relu(self.b3_reduce(x)))),
                          relu(self.b5(relu(self.b5_reduce(x)))),
                          relu(self.pool_proj(self.pool(x)))], 1)


class _GoogLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2_reduce = nn.Conv2d(64, 64, 1)
        self.conv2 = nn.Conv2d(64, 192, 3, padding=1)
        self.pool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = _Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = _Inception(256, 128, 128, 192, 32, 96, 64)
        self.pool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = _Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = _Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = _Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = _Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = _Inception(528, 256, 160, 320, 32, 128, 128)
        self.pool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception5a = _Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = _Inception(832, 384, 192, 384, 48, 128, 128)
        self.pool5 = nn.AvgPool2d(7, stride=1)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        relu = torch.relu
        x = self.pool1(relu(self.conv1(x)))
        x = self.pool2(relu(self.conv2(relu(self.conv2_reduce(x)))))
        x = self.pool3(self.inception3b(self.inception3a(x)))
        for block in (self.inception4a, self.inception4b, self.inception4c, self.inception4d,
                      self.inception4e):
            x = block(x)
        x = self.pool4(x)
        x = self.pool5(self.inception5b(self.inception5a(x)))
        return self.fc(torch.flatten(x, 1))


def googlenet():
    """GoogLeNet (Szegedy et al., CVPR 2015, Table 1) for inference: 57 CONV layers (3 in the
    stem, 6 in each of 9 inception modules) and one FC layer; the two auxiliary classifiers are
    for training only and the LRN layers have no MACs. Unlike torchvision's googlenet, the
    "5x5" branch uses 5x5 filters, as in the paper (torchvision uses 3x3 there).
    Max pools round up (Caffe's and torchvision's ceil_mode), so 112 -> 56 -> 28 -> 14 -> 7.
    """
    return _GoogLeNet()


def resnet50():
    """ResNet-50 as published (He et al., CVPR 2016; the Caffe model): the stride of each
    downsampling bottleneck sits on its first 1x1 convolution. torchvision's resnet50 is
    "ResNet v1.5", with the stride on the 3x3 convolution instead: the same weights, but 4.09G
    instead of 3.86G MACs. This takes torchvision's model and moves the strides back.
    """
    import torchvision

    model = torchvision.models.resnet50(weights=None)
    for module in model.modules():
        if isinstance(module, torchvision.models.resnet.Bottleneck) and module.stride != 1:
            module.conv1.stride = module.conv2.stride
            module.conv2.stride = (1, 1)
    return model


class _MobileNetV1(nn.Module):
    # (output channels, stride of the depthwise conv) per depthwise-separable block, Table 1.
    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1)
        self.blocks = []
        cin = 32
        for i, (cout, stride) in enumerate(self.BLOCKS, start=1):
            self.add_module(f"dw{i}", nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin))
            self.add_module(f"pw{i}", nn.Conv2d(cin, cout, 1))
            self.blocks += [f"dw{i}", f"pw{i}"]
            cin = cout
        self.pool = nn.AvgPool2d(7)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        for name in self.blocks:
            x = torch.relu(getattr(self, name)(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def mobilenet_v1():
    """MobileNet v1 1.0-224 (Howard et al., 2017, Table 1): a 3x3 stride-2 conv, 13 depthwise
    separable blocks (a 3x3 depthwise conv, groups = channels, then a 1x1 pointwise conv), a 7x7
    average pool and one FC layer. Table 1 gives stride 2 for the last depthwise conv, but its
    input and output are both 7x7 there: stride 1, as in every released implementation.
    """
    return _MobileNetV1()
