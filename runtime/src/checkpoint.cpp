#include <typenet/checkpoint.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace typenet {

namespace {
std::vector<std::int64_t> shape_of(const dsl::tensor_entry& e) {
    return std::vector<std::int64_t>(e.dims.begin(), e.dims.begin() + e.rank);
}

// Every model tensor in PyTorch's state_dict order: layer by layer,
// parameters, then buffers, then num_batches_tracked after a batchnorm's.
struct model_tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::span<float> values;  // empty for num_batches_tracked
};
std::vector<model_tensor> model_tensors(const training_state_view& s) {
    std::vector<model_tensor> out;
    std::size_t p = 0, b = 0;
    while (p < s.param_layout.size() || b < s.buffer_layout.size()) {
        const bool take_param = b == s.buffer_layout.size() ||
                                (p < s.param_layout.size() && s.param_layout[p].node <= s.buffer_layout[b].node);
        const dsl::tensor_entry& e = take_param ? s.param_layout[p++] : s.buffer_layout[b++];
        std::span<float> flat = take_param ? s.params : s.buffers;
        out.push_back({std::string(e.name.view()), shape_of(e), flat.subspan(e.offset, e.count)});
        if (!take_param && e.name.view().ends_with(".running_var"))
            out.push_back({std::string(e.name.view().substr(0, e.name.view().rfind('.'))) + ".num_batches_tracked", {}, {}});
    }
    return out;
}

std::string shape_words(const std::vector<std::int64_t>& shape) {
    return stored_tensor{"", "", shape, {}}.shape_text();
}

// More epochs than any run takes: the trainer counts them in an int.
constexpr long long max_epochs = 1'000'000;
}  // namespace

std::optional<long long> count_in(const checkpoint_metadata& metadata, const std::string& key) {
    const auto found = metadata.find(key);
    if (found == metadata.end()) return std::nullopt;
    const std::string& text = found->second;
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

void save_checkpoint(const std::filesystem::path& path, const training_state_view& state, checkpoint_metadata metadata) {
    safetensors_file file;
    for (const model_tensor& t : model_tensors(state)) {
        if (t.values.empty() && t.shape.empty()) {
            const std::int64_t tracked = state.batches_tracked;
            file.add_i64(t.name, {}, std::span(&tracked, 1));
        } else {
            file.add_f32(t.name, t.shape, t.values);
        }
    }
    if (state.optim) {
        for (const auto& [state_name, values] : state.optim->state())
            for (const dsl::tensor_entry& e : state.param_layout)
                file.add_f32("optimizer." + std::string(state_name) + "." + std::string(e.name.view()), shape_of(e),
                             values.subspan(e.offset, e.count));
        metadata["optimizer"] = std::string(optimizer_name(state.optim->options().kind));
        metadata["optimizer_steps"] = std::to_string(state.optim->steps());
    }
    metadata["format"] = "typenet checkpoint 1";
    file.metadata = std::move(metadata);
    write_safetensors(path, file);
}

checkpoint_metadata load_checkpoint(const std::filesystem::path& path, training_state_view& state) {
    const safetensors_file file = read_safetensors(path);
    const auto fail = [&](const std::string& what) -> void {
        throw checkpoint_error("typenet: checkpoint " + path.string() + " does not fit this network: " + what);
    };
    const std::vector<model_tensor> expected = model_tensors(state);
    if (const auto epoch = file.metadata.find("epoch"); epoch != file.metadata.end()) {
        const auto count = count_in(file.metadata, "epoch");
        if (!count || *count > max_epochs) fail("its epoch metadata, \"" + epoch->second + "\", is not a count");
    }

    // Validate everything before touching the caller's buffers.
    for (const model_tensor& t : expected) {
        const stored_tensor* found = file.find(t.name);
        if (!found) fail("it has no tensor \"" + t.name + "\" (" + shape_words(t.shape) + " in this network)");
        if (found->shape != t.shape)
            fail("tensor \"" + t.name + "\" is " + found->shape_text() + " in the checkpoint but " + shape_words(t.shape) +
                 " in this network");
        const char* dtype = t.values.empty() && t.shape.empty() ? "I64" : "F32";
        if (found->dtype != dtype)
            fail("tensor \"" + t.name + "\" is " + found->dtype + " in the checkpoint but " + dtype + " here");
    }
    for (const stored_tensor& t : file.tensors)
        if (!t.name.starts_with("optimizer.") &&
            std::none_of(expected.begin(), expected.end(), [&](const model_tensor& m) { return m.name == t.name; }))
            fail("it holds tensor \"" + t.name + "\" (" + t.shape_text() + "), which this network does not have");

    std::vector<optimizer::named_state> optimizer_state;
    long long optimizer_steps = 0;
    if (state.optim) {
        const auto saved = file.metadata.find("optimizer");
        const std::string_view mine = optimizer_name(state.optim->options().kind);
        if (saved == file.metadata.end())
            throw checkpoint_error("typenet: checkpoint " + path.string() + " holds no optimizer state, so training "
                                   "cannot resume from it exactly (it can still be loaded for evaluation)");
        if (saved->second != mine)
            throw checkpoint_error("typenet: checkpoint " + path.string() + " was trained with " + saved->second +
                                   ", not " + std::string(mine) + "; resume with --optimizer " + saved->second);
        const auto steps = file.metadata.find("optimizer_steps");
        if (steps == file.metadata.end()) fail("its optimizer_steps metadata is missing");
        const auto count = count_in(file.metadata, "optimizer_steps");
        if (!count) fail("its optimizer_steps metadata, \"" + steps->second + "\", is not a count");
        optimizer_steps = *count;
        optimizer_state = state.optim->state();
        for (const auto& [state_name, values] : optimizer_state)
            for (const dsl::tensor_entry& e : state.param_layout) {
                const std::string name = "optimizer." + std::string(state_name) + "." + std::string(e.name.view());
                const stored_tensor* found = file.find(name);
                if (!found || found->shape != shape_of(e) || found->dtype != "F32")
                    fail("its optimizer state \"" + name + "\" is missing or misshapen");
            }
    }

    for (const model_tensor& t : expected) {
        const stored_tensor& found = *file.find(t.name);
        if (t.values.empty() && t.shape.empty())
            std::memcpy(&state.batches_tracked, found.data.data(), sizeof(std::int64_t));
        else
            std::memcpy(t.values.data(), found.data.data(), found.data.size());
    }
    if (state.optim) {
        for (const auto& [state_name, values] : optimizer_state)
            for (const dsl::tensor_entry& e : state.param_layout) {
                const stored_tensor& found =
                    *file.find("optimizer." + std::string(state_name) + "." + std::string(e.name.view()));
                std::memcpy(values.data() + e.offset, found.data.data(), found.data.size());
            }
        state.optim->set_steps(optimizer_steps);
    }
    return file.metadata;
}

}  // namespace typenet
