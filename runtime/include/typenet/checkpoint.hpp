// Checkpoints: a network's parameters and batchnorm statistics as a
// safetensors file with PyTorch's names and layouts ("0.weight" OIHW, dense
// weight out x in, batchnorm weight/bias/running_mean/running_var and an I64
// num_batches_tracked), so an equivalent torch.nn.Sequential loads the
// model's tensors with load_state_dict. The optimizer's state rides along
// as "optimizer.<state>.<tensor>" (e.g. "optimizer.exp_avg.0.weight"), and
// epoch, seed and hyperparameters as __metadata__ strings, so a run resumes
// exactly. In PyTorch: {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "optimizers.hpp"
#include "parameters.hpp"
#include "safetensors.hpp"

namespace typenet {

// What a checkpoint saves and restores, all owned by the caller.
struct training_state_view {
    std::span<float> params;
    tensor_layout param_layout;
    std::span<float> buffers;
    tensor_layout buffer_layout;
    optimizer* optim = nullptr;          // optional
    std::int64_t batches_tracked = 0;    // batchnorm's num_batches_tracked: training steps taken
};

using checkpoint_metadata = std::map<std::string, std::string>;

// Atomic: a crash or a full disk during the save leaves the old file intact.
void save_checkpoint(const std::filesystem::path& path, const training_state_view& state, checkpoint_metadata metadata);

// The metadata value under `key` as a non-negative integer, if it is one.
std::optional<long long> count_in(const checkpoint_metadata& metadata, const std::string& key);

// Validates the whole file against the network first, then restores it into
// `state` (the optimizer too, when given); returns its metadata. A file of
// another network fails with checkpoint_error naming the first mismatched
// tensor and both shapes, and changes nothing.
checkpoint_metadata load_checkpoint(const std::filesystem::path& path, training_state_view& state);

}  // namespace typenet
