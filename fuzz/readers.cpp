// The runtime's readers under attack: IDX data, safetensors, checkpoints.
#include <algorithm>
#include <typenet/checkpoint.hpp>
#include <typenet/idx.hpp>
#include <typenet/optimizers.hpp>
#include <typenet/safetensors.hpp>
#include <vector>

#include "harnesses.hpp"
#include "input_file.hpp"

namespace typenet::fuzz {

void idx_reader(std::span<const std::uint8_t> bytes) {
    const auto path = write_input(bytes, ".idx");
    try {
        const idx_array a = read_idx(path);
        std::size_t count = 1;
        for (std::uint32_t d : a.dims) count *= d;
        if (a.values.size() != count) violated("an IDX array whose values do not fill its dimensions");
    } catch (const data_error& e) {
        names_the_file(e, path);
    }
}

void safetensors_reader(std::span<const std::uint8_t> bytes) {
    const auto path = write_input(bytes, ".safetensors");
    try {
        const safetensors_file f = read_safetensors(path);
        std::size_t data = 0;
        for (const stored_tensor& t : f.tensors) {
            if (t.data.size() != std::size_t(t.elements()) * dtype_size(t.dtype))
                violated("tensor " + t.name + " whose bytes do not match its dtype and shape");
            data += t.data.size();
        }
        if (data > bytes.size()) violated("tensors holding more bytes than the file");
    } catch (const checkpoint_error& e) {
        names_the_file(e, path);
    }
}

namespace {
// A small network's layout, as the dsl would lay it out (the dsl itself
// needs GCC: clang 14 has no floating-point template arguments):
// conv<4,3> | batchnorm | relu | flatten | dense<3> on 1x6x6.
dsl::tensor_entry entry(const char* name, int node, std::initializer_list<int> dims, std::size_t offset) {
    dsl::tensor_entry e{std::string_view(name), node, int(dims.size()), {}, offset, 1};
    std::copy(dims.begin(), dims.end(), e.dims.begin());
    for (int d : dims) e.count *= std::size_t(d);
    return e;
}
const std::vector<dsl::tensor_entry> parameters = {
    entry("0.weight", 0, {4, 1, 3, 3}, 0), entry("0.bias", 0, {4}, 36), entry("1.weight", 1, {4}, 40),
    entry("1.bias", 1, {4}, 44),           entry("4.weight", 4, {3, 64}, 48), entry("4.bias", 4, {3}, 240)};
const std::vector<dsl::tensor_entry> statistics = {entry("1.running_mean", 1, {4}, 0),
                                                   entry("1.running_var", 1, {4}, 4)};
constexpr std::size_t parameter_count = 243, statistics_count = 8;

struct network_state {
    std::vector<float> params = std::vector<float>(parameter_count, 0.5f);
    std::vector<float> buffers = std::vector<float>(statistics_count, 1.0f);
    optimizer optim{optimizer_options::named("adam", 1e-3), parameter_count};
    training_state_view view() { return {params, parameters, buffers, statistics, &optim, 7}; }
};
}  // namespace

void write_checkpoint_seed(const std::filesystem::path& path) {
    network_state s;
    for (std::size_t i = 0; i < s.params.size(); ++i) s.params[i] = float(i) / 100;
    save_checkpoint(path, s.view(), {{"epoch", "2"}, {"seed", "1"}});
}

void checkpoint_loader(std::span<const std::uint8_t> bytes) {
    const auto path = write_input(bytes, ".safetensors");
    network_state s;
    training_state_view view = s.view();
    std::vector<float> adam_state;
    for (const auto& [name, values] : s.optim.state()) adam_state.insert(adam_state.end(), values.begin(), values.end());
    try {
        load_checkpoint(path, view);
    } catch (const checkpoint_error& e) {
        names_the_file(e, path);
        std::vector<float> after;
        for (const auto& [name, values] : s.optim.state()) after.insert(after.end(), values.begin(), values.end());
        const auto all = [](const std::vector<float>& v, float x) {
            return std::all_of(v.begin(), v.end(), [x](float y) { return y == x; });
        };
        if (!all(s.params, 0.5f) || !all(s.buffers, 1.0f) || after != adam_state || view.batches_tracked != 7 ||
            s.optim.steps() != 0)
            violated(std::string("a refused checkpoint changed the network's state: ") + e.what());
    }
}

}  // namespace typenet::fuzz
