#include <typenet/initializers.hpp>
#include <typenet/rng.hpp>

#include <stdexcept>
#include <string>

namespace typenet {

initializer initializer::named(std::string_view name) {
    if (name == "zeros") return zeros();
    if (name == "xavier_uniform") return xavier_uniform();
    if (name == "xavier_normal") return xavier_normal();
    if (name == "he_uniform") return he_uniform();
    if (name == "he_normal") return he_normal();
    if (name == "lecun_normal") return lecun_normal();
    throw std::invalid_argument("typenet: unknown initializer \"" + std::string(name) +
                                "\" (choose zeros, xavier_uniform, xavier_normal, he_uniform, he_normal, "
                                "lecun_normal, or constant/uniform/normal with their values)");
}

namespace {
bool weighted(const dsl::node_info& l) {
    return l.kind == dsl::layer_kind::conv || l.kind == dsl::layer_kind::dense;
}
bool relu_family(const dsl::node_info& l) {
    return l.kind == dsl::layer_kind::activation && (l.label == "relu" || l.label.starts_with("leaky_relu"));
}
// The one node reading node i's output, or -1 where none or several do.
int sole_reader(std::span<const dsl::node_info> nodes, int i) {
    int reader = -1, count = 0;
    for (const dsl::node_info& n : nodes)
        for (int k = 0; k < n.input_count; ++k)
            if (n.inputs[k] == i) reader = n.index, ++count;
    return count == 1 ? reader : -1;
}
}  // namespace

initializer weight_initializer(std::span<const dsl::node_info> nodes, int index, const init_plan& plan) {
    if (auto it = plan.per_layer.find(index); it != plan.per_layer.end()) return it->second;
    if (plan.weights) return *plan.weights;
    int next = sole_reader(nodes, index);
    while (next >= 0 && nodes[std::size_t(next)].kind == dsl::layer_kind::batchnorm) next = sole_reader(nodes, next);
    return next >= 0 && relu_family(nodes[std::size_t(next)]) ? initializer::he_normal()
                                                               : initializer::xavier_uniform();
}

double init_stddev(const initializer& init, int fan_in, int fan_out) {
    const double fans = fan_in + fan_out;
    switch (init.method) {
        case init_method::zeros:
        case init_method::constant: return 0;
        case init_method::uniform: return (init.b - init.a) / std::sqrt(12.0);
        case init_method::normal: return init.b;
        case init_method::xavier_uniform:
        case init_method::xavier_normal: return init.a * std::sqrt(2.0 / fans);
        case init_method::he_uniform:
        case init_method::he_normal: return init.a / std::sqrt(double(fan_in));
        case init_method::lecun_normal: return 1 / std::sqrt(double(fan_in));
    }
    return 0;
}

namespace {
void fill(std::span<float> out, const initializer& init, int fan_in, int fan_out, random_stream& random) {
    const double sd = init_stddev(init, fan_in, fan_out);
    const double bound = sd * std::sqrt(3.0);  // a uniform of this half-width has standard deviation sd
    for (float& v : out) {
        switch (init.method) {
            case init_method::zeros: v = 0; break;
            case init_method::constant: v = static_cast<float>(init.a); break;
            case init_method::uniform: v = static_cast<float>(random.uniform(init.a, init.b)); break;
            case init_method::normal: v = static_cast<float>(random.normal(init.a, init.b)); break;
            case init_method::xavier_uniform:
            case init_method::he_uniform: v = static_cast<float>(random.uniform(-bound, bound)); break;
            case init_method::xavier_normal:
            case init_method::he_normal:
            case init_method::lecun_normal: v = static_cast<float>(random.normal(0, sd)); break;
        }
    }
}
}  // namespace

void initialize(std::span<float> params, tensor_layout layout, std::span<const dsl::node_info> nodes,
                const init_plan& plan, std::uint64_t seed) {
    for (std::size_t t = 0; t < layout.size(); ++t) {
        const dsl::tensor_entry& e = layout[t];
        const dsl::node_info& l = nodes[static_cast<std::size_t>(e.node)];
        const std::span<float> out = params.subspan(e.offset, e.count);
        random_stream random(seed, t);
        const bool is_weight = e.name.view().ends_with(".weight");
        if (l.kind == dsl::layer_kind::batchnorm)
            fill(out, initializer::constant(is_weight ? 1.0 : 0.0), 0, 0, random);
        else if (weighted(l) && is_weight)
            fill(out, weight_initializer(nodes, e.node, plan), l.fan_in, l.fan_out, random);
        else
            fill(out, plan.biases, l.fan_in, l.fan_out, random);
    }
}

}  // namespace typenet
