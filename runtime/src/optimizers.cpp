#include <typenet/optimizers.hpp>

#include <cmath>
#include <stdexcept>
#include <xsimd/xsimd.hpp>

namespace typenet {

optimizer_options optimizer_options::sgd(double lr, double momentum, double weight_decay, bool nesterov) {
    return {.kind = optimizer_kind::sgd, .lr = lr, .weight_decay = weight_decay, .momentum = momentum, .nesterov = nesterov};
}
optimizer_options optimizer_options::adagrad(double lr, double weight_decay) {
    return {.kind = optimizer_kind::adagrad, .lr = lr, .weight_decay = weight_decay, .eps = 1e-10};
}
optimizer_options optimizer_options::rmsprop(double lr, double momentum, double weight_decay) {
    return {.kind = optimizer_kind::rmsprop, .lr = lr, .weight_decay = weight_decay, .momentum = momentum};
}
optimizer_options optimizer_options::adam(double lr, double weight_decay) {
    return {.kind = optimizer_kind::adam, .lr = lr, .weight_decay = weight_decay};
}
optimizer_options optimizer_options::adamw(double lr, double weight_decay) {
    return {.kind = optimizer_kind::adamw, .lr = lr, .weight_decay = weight_decay};
}
optimizer_options optimizer_options::named(std::string_view name, double lr) {
    if (name == "sgd") return sgd(lr);
    if (name == "momentum") return sgd(lr, 0.9);
    if (name == "nesterov") return sgd(lr, 0.9, 0, true);
    if (name == "adagrad") return adagrad(lr);
    if (name == "rmsprop") return rmsprop(lr);
    if (name == "adam") return adam(lr);
    if (name == "adamw") return adamw(lr);
    throw std::invalid_argument("typenet: unknown optimizer \"" + std::string(name) +
                                "\" (choose sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw)");
}

std::string_view optimizer_name(optimizer_kind kind) {
    constexpr std::string_view names[] = {"sgd", "adagrad", "rmsprop", "adam", "adamw"};
    return names[static_cast<int>(kind)];
}

optimizer::optimizer(const optimizer_options& options, std::size_t parameter_count) : options_(options) {
    if (!(options.lr >= 0)) throw std::invalid_argument("typenet: the learning rate must be >= 0");
    const bool needs_first = options.kind != optimizer_kind::sgd || options.momentum != 0;
    const bool needs_second = options.kind == optimizer_kind::adam || options.kind == optimizer_kind::adamw ||
                              (options.kind == optimizer_kind::rmsprop && (options.centered || options.momentum != 0));
    if (needs_first)
        first_.assign(parameter_count, options.kind == optimizer_kind::adagrad ? float(options.initial_accumulator) : 0.f);
    if (needs_second) second_.assign(parameter_count, 0.f);
}

std::vector<optimizer::named_state> optimizer::state() {
    std::vector<named_state> s;
    switch (options_.kind) {
        case optimizer_kind::sgd:
            if (!first_.empty()) s.push_back({"momentum_buffer", first_});
            break;
        case optimizer_kind::adagrad: s.push_back({"sum", first_}); break;
        case optimizer_kind::rmsprop:
            s.push_back({"square_avg", first_});
            if (options_.momentum != 0) s.push_back({"momentum_buffer", second_});
            if (options_.centered) s.push_back({"grad_avg", second_});
            break;
        case optimizer_kind::adam:
        case optimizer_kind::adamw:
            s.push_back({"exp_avg", first_});
            s.push_back({"exp_avg_sq", second_});
            break;
    }
    return s;
}

namespace {
using vec = xsimd::batch<float>;

// Runs `update(p, g, a, b)` over every element: on whole vectors, then on the
// scalar tail. The lambda is generic: the same expression for both.
template <class Update>
void for_each_element(std::size_t n, float* p, const float* g, float* a, float* b, Update update) {
    constexpr std::size_t lanes = vec::size;
    float dummy_a = 0, dummy_b = 0;
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        vec pv = vec::load_unaligned(p + i), av = a ? vec::load_unaligned(a + i) : vec(0.f),
            bv = b ? vec::load_unaligned(b + i) : vec(0.f);
        update(pv, vec::load_unaligned(g + i), av, bv);
        pv.store_unaligned(p + i);
        if (a) av.store_unaligned(a + i);
        if (b) bv.store_unaligned(b + i);
    }
    for (; i < n; ++i) update(p[i], g[i], a ? a[i] : dummy_a, b ? b[i] : dummy_b);
}
}  // namespace

void optimizer::step(std::span<float> params, std::span<const float> gradients, double lr) {
    if (params.size() != gradients.size())
        throw std::invalid_argument("typenet: the optimizer got " + std::to_string(gradients.size()) +
                                    " gradients for " + std::to_string(params.size()) + " parameters");
    const std::size_t expected = first_.empty() ? params.size() : first_.size();
    if (params.size() != expected)
        throw std::invalid_argument("typenet: the optimizer was made for " + std::to_string(expected) +
                                    " parameters but got " + std::to_string(params.size()));
    ++steps_;
    const optimizer_options& o = options_;
    const auto t = static_cast<double>(steps_);
    const float wd = float(o.weight_decay), mu = float(o.momentum), eps = float(o.eps);
    float* p = params.data();
    const float* g = gradients.data();
    float* a = first_.empty() ? nullptr : first_.data();
    float* b = second_.empty() ? nullptr : second_.data();
    const std::size_t n = params.size();
    using std::sqrt;
    using xsimd::sqrt;

    switch (o.kind) {
        case optimizer_kind::sgd: {
            const float rate = float(lr), keep = 1 - float(o.dampening);
            const bool first = steps_ == 1, nesterov = o.nesterov, momentum = a != nullptr;
            for_each_element(n, p, g, a, b, [&](auto& pv, auto gv, auto& buf, auto&) {
                gv = gv + wd * pv;
                if (momentum) {
                    buf = first ? gv : mu * buf + keep * gv;
                    gv = nesterov ? gv + mu * buf : buf;
                }
                pv = pv - rate * gv;
            });
            break;
        }
        case optimizer_kind::adagrad: {
            const float clr = float(lr / (1 + (t - 1) * o.lr_decay));
            for_each_element(n, p, g, a, b, [&](auto& pv, auto gv, auto& sum, auto&) {
                gv = gv + wd * pv;
                sum = sum + gv * gv;
                pv = pv - clr * (gv / (sqrt(sum) + eps));
            });
            break;
        }
        case optimizer_kind::rmsprop: {
            const float alpha = float(o.alpha), rest = 1 - alpha, rate = float(lr);
            const bool momentum = o.momentum != 0, centered = o.centered;
            if (centered && momentum) throw std::invalid_argument("typenet: centered rmsprop with momentum is not supported");
            for_each_element(n, p, g, a, b, [&](auto& pv, auto gv, auto& square_avg, auto& extra) {
                gv = gv + wd * pv;
                square_avg = alpha * square_avg + rest * gv * gv;
                auto v = square_avg;
                if (centered) {
                    extra = alpha * extra + rest * gv;
                    v = v - extra * extra;
                }
                const auto denom = sqrt(v) + eps;
                if (momentum) {
                    extra = mu * extra + gv / denom;
                    pv = pv - rate * extra;
                } else {
                    pv = pv - rate * (gv / denom);
                }
            });
            break;
        }
        case optimizer_kind::adam:
        case optimizer_kind::adamw: {
            const bool decoupled = o.kind == optimizer_kind::adamw;
            const float b1 = float(o.beta1), b2 = float(o.beta2);
            const float step_size = float(lr / (1 - std::pow(o.beta1, t)));
            const float correction2_sqrt = float(std::sqrt(1 - std::pow(o.beta2, t)));
            const float shrink = float(1 - lr * o.weight_decay);
            for_each_element(n, p, g, a, b, [&](auto& pv, auto gv, auto& m, auto& v) {
                if (decoupled) pv = pv * shrink;
                else gv = gv + wd * pv;
                m = b1 * m + (1 - b1) * gv;
                v = b2 * v + (1 - b2) * gv * gv;
                pv = pv - step_size * (m / (sqrt(v) / correction2_sqrt + eps));
            });
            break;
        }
    }
}

}  // namespace typenet
