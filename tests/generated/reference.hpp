// A plain double-precision evaluation of a dsl network, written from
// PyTorch's documented semantics with naive loops: the independent reference
// the generated pipelines are tested against. Nothing here uses Halide or the
// generators' code; it reads only the network's type.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <typenet/dsl.hpp>
#include <utility>
#include <vector>

namespace reference {

namespace dsl = typenet::dsl;

struct tensor {
    dsl::tensor_shape s;
    int batch = 0;
    std::vector<double> v;  // NCHW

    tensor() = default;
    tensor(dsl::tensor_shape shape, int n) : s(shape), batch(n), v(std::size_t(n) * shape.size(), 0.0) {}
    double& at(int n, int c, int y, int x) { return v[((std::size_t(n) * s.c + c) * s.h + y) * s.w + x]; }
    double at(int n, int c, int y, int x) const { return v[((std::size_t(n) * s.c + c) * s.h + y) * s.w + x]; }
};

// The dropout mask, as documented in generators/random.hpp: MurmurHash3's
// finalizer chained over (seed ^ golden * (layer + 1), x, y, c, n).
inline uint32_t mix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}
inline bool dropout_keeps(double p, int layer, uint32_t seed, int x, int y, int c, int n) {
    uint32_t h = mix32(seed ^ (0x9e3779b9u * uint32_t(layer + 1)));
    for (int coordinate : {x, y, c, n}) h = mix32(h ^ uint32_t(coordinate));
    return h >= uint32_t(std::min(std::ldexp(p, 32), 4294967295.0));
}

struct result {
    std::vector<tensor> outputs;  // after each node of the graph (dsl::nodes)
    std::vector<double> new_state;
    double loss = 0;
    int correct = 0;
};

template <class Net>
class evaluator {
public:
    static constexpr Net net{};

    evaluator(std::vector<double> params, std::vector<double> state) : p_(std::move(params)), st_(std::move(state)) {}

    // training: batchnorm on batch statistics, dropout masks from `seed`.
    result run(const tensor& input, const std::vector<int>& labels, bool training, uint32_t seed = 0) const {
        result r;
        r.new_state = st_;
        run_nodes(input, r, training, seed, std::make_index_sequence<dsl::nodes(net).size()>{});
        const int out = dsl::output_node(net);
        if (!labels.empty()) loss(out < 0 ? input : r.outputs[std::size_t(out)], labels, r);
        return r;
    }

private:
    // Node by node in graph order; each reads its inputs' outputs.
    template <std::size_t... I>
    void run_nodes(const tensor& input, result& r, bool training, uint32_t seed, std::index_sequence<I...>) const {
        const auto value = [&](int node) -> const tensor& { return node < 0 ? input : r.outputs[std::size_t(node)]; };
        const auto run = [&]<std::size_t Index>() {
            const dsl::node_info& info = dsl::nodes(net)[Index];
            tensor out;
            if (info.kind == dsl::layer_kind::add) {
                out = value(info.inputs[0]);
                for (int k = 1; k < info.input_count; ++k)
                    for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] += value(info.inputs[k]).v[i];
            } else if (info.kind == dsl::layer_kind::concat) {
                out = concat(info, value, input.batch);
            } else {
                out = layer<dsl::node_type<Net, Index>>(info, value(info.inputs[0]), r, training, seed);
            }
            r.outputs.push_back(std::move(out));
        };
        (run.template operator()<I>(), ...);
    }

    // Branch k's channels after those of branches 0 .. k-1, image by image.
    template <class Value>
    static tensor concat(const dsl::node_info& info, const Value& value, int batch) {
        tensor out(info.out, batch);
        for (int n = 0; n < batch; ++n) {
            int c0 = 0;
            for (int k = 0; k < info.input_count; ++k) {
                const tensor& b = value(info.inputs[k]);
                for (int c = 0; c < b.s.c; ++c)
                    for (int y = 0; y < b.s.h; ++y)
                        for (int x = 0; x < b.s.w; ++x) out.at(n, c0 + c, y, x) = b.at(n, c, y, x);
                c0 += b.s.c;
            }
        }
        return out;
    }

    double param(const dsl::node_info& node, std::string_view attribute, std::size_t i) const {
        const std::string name = std::string(node.path.view()) + "." + std::string(attribute);
        return p_[dsl::find_tensor(dsl::parameter_layout(net), name)->offset + i];
    }
    std::size_t state_at(const dsl::node_info& node, std::string_view attribute) const {
        const std::string name = std::string(node.path.view()) + "." + std::string(attribute);
        return dsl::find_tensor(dsl::buffer_layout(net), name)->offset;
    }

    template <class L>
    tensor layer(const dsl::node_info& info, const tensor& in, result& r, bool training, uint32_t seed) const {
        tensor out(info.out, in.batch);
        const int N = in.batch;
        using K = dsl::layer_kind;
        switch (info.kind) {
            case K::conv:
            case K::fixed_conv: {
                // torch.nn.Conv2d with groups G: output channel co reads the
                // InC/G input channels of its group, co / (OutC/G).
                const dsl::window w = *info.slides;
                int groups = 1;
                if constexpr (requires { L::groups; }) groups = L::groups;
                const int group_in = in.s.c / groups, group_out = info.out.c / groups;
                const std::vector<double> weights = conv_weights<L>(info, group_in);
                const auto at_weight = [&](int co, int ci, int ky, int kx) {
                    return weights[((std::size_t(co) * group_in + ci) * w.kh + ky) * w.kw + kx];
                };
                for (int n = 0; n < N; ++n)
                    for (int co = 0; co < info.out.c; ++co)
                        for (int oy = 0; oy < info.out.h; ++oy)
                            for (int ox = 0; ox < info.out.w; ++ox) {
                                double sum = 0;
                                if constexpr (requires { L::has_bias; })
                                    if (L::has_bias) sum = param(info, "bias", co);
                                for (int ci = 0; ci < group_in; ++ci)
                                    for (int ky = 0; ky < w.kh; ++ky)
                                        for (int kx = 0; kx < w.kw; ++kx) {
                                            const int iy = oy * w.stride + ky * w.dilation - w.pad;
                                            const int ix = ox * w.stride + kx * w.dilation - w.pad;
                                            if (iy < 0 || iy >= in.s.h || ix < 0 || ix >= in.s.w) continue;
                                            sum += at_weight(co, ci, ky, kx) *
                                                   in.at(n, co / group_out * group_in + ci, iy, ix);
                                        }
                                out.at(n, co, oy, ox) = sum;
                            }
                break;
            }
            case K::maxpool:
            case K::avgpool:
            case K::global_avgpool: {
                const dsl::window w = *info.slides;
                for (int n = 0; n < N; ++n)
                    for (int c = 0; c < in.s.c; ++c)
                        for (int oy = 0; oy < info.out.h; ++oy)
                            for (int ox = 0; ox < info.out.w; ++ox) {
                                double best = -std::numeric_limits<double>::infinity(), sum = 0;
                                for (int ky = 0; ky < w.kh; ++ky)
                                    for (int kx = 0; kx < w.kw; ++kx) {
                                        const int iy = oy * w.stride + ky - w.pad, ix = ox * w.stride + kx - w.pad;
                                        const bool inside = iy >= 0 && iy < in.s.h && ix >= 0 && ix < in.s.w;
                                        const double v = inside ? in.at(n, c, iy, ix) : 0.0;
                                        if (inside) best = std::max(best, v);
                                        sum += v;  // padding counts as zero in the mean
                                    }
                                out.at(n, c, oy, ox) = info.kind == K::maxpool ? best : sum / (w.kh * w.kw);
                            }
                break;
            }
            case K::flatten:
                out.v = in.v;  // NCHW order is already (C, H, W) flattened
                break;
            case K::dense: {
                const double* weights = &p_[dsl::find_tensor(dsl::parameter_layout(net),
                                                             std::string(info.path.view()) + ".weight")->offset];
                for (int n = 0; n < N; ++n)
                    for (int o = 0; o < info.out.c; ++o) {
                        double sum = 0;
                        if constexpr (requires { L::has_bias; })
                            if (L::has_bias) sum = param(info, "bias", o);
                        for (int i = 0; i < in.s.c; ++i) sum += weights[std::size_t(o) * in.s.c + i] * in.at(n, i, 0, 0);
                        out.at(n, o, 0, 0) = sum;
                    }
                break;
            }
            case K::activation:
                if constexpr (requires { L::function; })
                    for (std::size_t i = 0; i < in.v.size(); ++i) out.v[i] = activate(L::function, L::parameter, in.v[i]);
                break;
            case K::batchnorm:
                if constexpr (requires { L::epsilon; }) batchnorm<L>(info, in, out, r, training);
                break;
            case K::dropout:
                if constexpr (requires { L::probability; }) {
                    for (int n = 0; n < N; ++n)
                        for (int c = 0; c < in.s.c; ++c)
                            for (int y = 0; y < in.s.h; ++y)
                                for (int x = 0; x < in.s.w; ++x) {
                                    const bool keep =
                                        !training || dropout_keeps(L::probability, info.index, seed, x, y, c, n);
                                    out.at(n, c, y, x) =
                                        keep ? in.at(n, c, y, x) / (training ? 1 - L::probability : 1.0) : 0.0;
                                }
                }
                break;
            case K::softmax_xent:
                out = in;
                break;
        }
        return out;
    }

    // A conv's weights, OutC x group_in x K x K, looked up once per node
    // (a name lookup per multiply made the gradient tests slow).
    template <class L>
    std::vector<double> conv_weights(const dsl::node_info& info, int group_in) const {
        const int k = info.slides->kh;
        std::vector<double> w(std::size_t(info.out.c) * group_in * k * k);
        if constexpr (requires { L::bank; }) {
            for (int co = 0; co < info.out.c; ++co)
                for (int ci = 0; ci < group_in; ++ci)
                    for (int ky = 0; ky < k; ++ky)
                        for (int kx = 0; kx < k; ++kx)
                            w[((std::size_t(co) * group_in + ci) * k + ky) * k + kx] = L::bank.weight(co, ci, ky, kx);
        } else {
            const std::size_t at = dsl::find_tensor(dsl::parameter_layout(net), std::string(info.path.view()) + ".weight")->offset;
            std::copy_n(p_.begin() + std::ptrdiff_t(at), w.size(), w.begin());
        }
        return w;
    }

    static double activate(dsl::activation f, double a, double v) {
        switch (f) {
            case dsl::activation::relu: return v > 0 ? v : 0;
            case dsl::activation::leaky_relu: return v > 0 ? v : a * v;
            case dsl::activation::tanh: return std::tanh(v);
            case dsl::activation::sigmoid: return 1 / (1 + std::exp(-v));
            case dsl::activation::elu: return v > 0 ? v : a * (std::exp(v) - 1);
        }
        return 0;
    }

    template <class L>
    void batchnorm(const dsl::node_info& info, const tensor& in, tensor& out, result& r, bool training) const {
        const int N = in.batch, H = in.s.h, W = in.s.w;
        const std::size_t mean_at = state_at(info, "running_mean"), var_at = state_at(info, "running_var");
        for (int c = 0; c < in.s.c; ++c) {
            double mean = st_[mean_at + c], var = st_[var_at + c];
            if (training) {
                const double m = double(N) * H * W;
                double sum = 0, sq = 0;
                for (int n = 0; n < N; ++n)
                    for (int y = 0; y < H; ++y)
                        for (int x = 0; x < W; ++x) sum += in.at(n, c, y, x);
                mean = sum / m;
                for (int n = 0; n < N; ++n)
                    for (int y = 0; y < H; ++y)
                        for (int x = 0; x < W; ++x) sq += (in.at(n, c, y, x) - mean) * (in.at(n, c, y, x) - mean);
                var = sq / m;
                // torch.nn.BatchNorm2d: running statistics use the unbiased variance.
                r.new_state[mean_at + c] = (1 - L::momentum) * st_[mean_at + c] + L::momentum * mean;
                r.new_state[var_at + c] = (1 - L::momentum) * st_[var_at + c] + L::momentum * var * m / (m - 1);
            }
            const double gamma = param(info, "weight", c), beta = param(info, "bias", c);
            for (int n = 0; n < N; ++n)
                for (int y = 0; y < H; ++y)
                    for (int x = 0; x < W; ++x)
                        out.at(n, c, y, x) = (in.at(n, c, y, x) - mean) / std::sqrt(var + L::epsilon) * gamma + beta;
        }
    }

    static void loss(const tensor& scores, const std::vector<int>& labels, result& r) {
        const int N = scores.batch, K = scores.s.c;
        double total = 0;
        for (int n = 0; n < N; ++n) {
            double peak = scores.at(n, 0, 0, 0);
            int best = 0;
            for (int k = 1; k < K; ++k)
                if (scores.at(n, k, 0, 0) > peak) peak = scores.at(n, k, 0, 0), best = k;
            double sum = 0;
            for (int k = 0; k < K; ++k) sum += std::exp(scores.at(n, k, 0, 0) - peak);
            total += std::log(sum) + peak - scores.at(n, labels[n], 0, 0);
            r.correct += best == labels[n];
        }
        r.loss = total / N;
    }

    std::vector<double> p_, st_;
};

}  // namespace reference
