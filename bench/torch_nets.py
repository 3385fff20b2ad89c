"""The sample networks of samples/networks/fashion_nets.hpp as torch.nn.Sequential,
layer for layer (same indices, so typenet's tensor names are these modules' state_dict keys)."""
import torch.nn as nn


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


NETWORKS = {"fashion": fashion_net, "eva": eva_net}
