"""The sample networks of samples/networks/fashion_nets.hpp as torch.nn.Sequential,
layer for layer (same indices, so typenet's tensor names are these modules' state_dict keys).
A typenet residual is a Residual module (attributes `body` and `shortcut`, each an
nn.Sequential) and a concat a Concat (`branches`, an nn.ModuleList of nn.Sequential),
so nested names match too: "5.body.0.weight", "5.shortcut.1.running_var"."""
import torch
import torch.nn as nn


class Residual(nn.Module):
    """body(x) + shortcut(x); the shortcut is the identity where it has no layers."""

    def __init__(self, body, shortcut=()):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class Concat(nn.Module):
    """Every branch reads x; their outputs are stacked along channels in order."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], dim=1)


def conv_bn_relu(cin, cout, k, pad=0):
    return [nn.Conv2d(cin, cout, k, padding=pad), nn.BatchNorm2d(cout), nn.ReLU()]


def fashion_net():
    return nn.Sequential(*conv_bn_relu(1, 32, 3, 1), *conv_bn_relu(32, 32, 3, 1), nn.MaxPool2d(2),
                         *conv_bn_relu(32, 64, 3, 1), *conv_bn_relu(64, 64, 3, 1), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))


def eva_net():
    return nn.Sequential(*conv_bn_relu(1, 8, 3), *conv_bn_relu(8, 16, 3), *conv_bn_relu(16, 16, 3), nn.MaxPool2d(2),
                         *conv_bn_relu(16, 8, 1), *conv_bn_relu(8, 16, 3), *conv_bn_relu(16, 16, 3),
                         *conv_bn_relu(16, 16, 3), nn.Dropout(0.05), *conv_bn_relu(16, 16, 3), nn.Conv2d(16, 10, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def conv_bn(cin, cout, k, stride=1, pad=0, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups, bias=False), nn.BatchNorm2d(cout)]


def basic_unit(c):
    return [Residual(conv_bn(c, c, 3, pad=1) + [nn.ReLU()] + conv_bn(c, c, 3, pad=1)), nn.ReLU()]


def projection_unit(cin, c):
    return [Residual(conv_bn(cin, c, 3, stride=2, pad=1) + [nn.ReLU()] + conv_bn(c, c, 3, pad=1),
                     conv_bn(cin, c, 1, stride=2)), nn.ReLU()]


def separable_unit(c):
    return [Residual(conv_bn(c, c, 3, pad=1, groups=c) + [nn.ReLU()] + conv_bn(c, c, 1)), nn.ReLU()]


def resnet_net():
    return nn.Sequential(*conv_bn(1, 32, 3, pad=1), nn.ReLU(), *basic_unit(32), *projection_unit(32, 64),
                         *separable_unit(64), nn.MaxPool2d(2), *separable_unit(64), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(64, 10))


NETWORKS = {"fashion": fashion_net, "eva": eva_net, "resnet": resnet_net}


# typenet's default initialization: He normal before a ReLU (through a batchnorm or
# not), Xavier uniform otherwise, zero biases; inside units, sequence by sequence.
def initialize(sequence):
    layers = list(sequence)
    for i, m in enumerate(layers):
        if isinstance(m, Residual):
            initialize(m.body)
            initialize(m.shortcut)
        elif isinstance(m, Concat):
            for branch in m.branches:
                initialize(branch)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            before_relu = any(isinstance(n, nn.ReLU) for n in layers[i + 1:i + 3])
            if before_relu:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
