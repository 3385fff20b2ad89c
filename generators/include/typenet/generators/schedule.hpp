// The schedules' building blocks: how a stored map, a reduction, a conv's
// register tiles, Winograd's tiles or a per-channel sum is computed. Which
// Func gets which is each operator family's business (ops/), and which
// nodes fuse is the fusion policy's (fusion.hpp). Vector widths come from
// the target.
#pragma once

#include <Halide.h>

#include <typenet/dsl.hpp>

#include "node.hpp"
#include "tuning.hpp"
#include "winograd.hpp"

namespace typenet::gen {

// The narrowest vectors conv tiles along x take on rows of width `w`: half
// the natural width, or 4 lanes on rows narrower than that (7 columns
// under AVX-512, where computed a column at a time a 64-channel depthwise
// 3x3 took longer than on 14 columns); 0 on rows narrower still.
inline int narrowest_tile_lanes(int w, int vec) {
    if (vec / 2 >= 4 && w >= vec / 2) return vec / 2;
    return w >= 4 ? 4 : 0;
}

// The weights a conv's register tiles read, for tiles across channels: `f`
// over (kx, ky, ci, co). Forward, the tiles run along co and read `f`, which
// is stored; for the input gradient they run along ci and read a stored copy
// of `f` (inline in backward) in their own layout.
struct conv_weights {
    Func f;
    bool input_gradient = false;
};

class schedule_context {
public:
    // `batch`, for inference: the run-time batch extent, which picks a loop
    // nest for small batches (few_images_in_parallel).
    schedule_context(const Halide::Target& target, const dims& v, const tuning_table& tuning,
                     Halide::Expr batch = Halide::Expr())
        : v_(v), tuning_(tuning) {
        if (batch.defined()) few_images_ = batch < few_images;
        vec_ = target.natural_vector_size<float>();
        // Registers for accumulators: 32 vector registers with AVX-512, else 16.
        accumulators_ = target.has_feature(Halide::Target::AVX512) ? 24 : 12;
    }

    // Elementwise Func over (x, y, c, n), stored: vectorized along rows,
    // parallel over planes.
    void elementwise(Func f, const dsl::tensor_shape& s) const {
        f.compute_root();
        vectorize_and_parallelize(f, s);
    }

    // Lanes for vectorizing a row of width w in NCHW: as many as fit, at
    // least 4; 0 if the row is narrower.
    int row_lanes(int w) const {
        int lanes = vec_;
        while (lanes > 4 && lanes > w) lanes /= 2;
        return w >= lanes ? lanes : 0;
    }

    // Rows are vectorized (channels only for flat 1x1 shapes, where they are
    // contiguous); tasks of whole images or groups of their channels
    // (parallel_planes), or rows of the batch for flat shapes. Returns the
    // parallel loop, where producers can be computed per task.
    Var vectorize_and_parallelize(Func f, const dsl::tensor_shape& s) const {
        if (s.is_flat()) {
            Var yn("yn");
            f.reorder(v_.c, v_.x, v_.y, v_.n);
            if (s.c >= vec_) f.vectorize(v_.c, vec_);
            f.fuse(v_.y, v_.n, yn).parallel(yn);
            return yn;
        }
        f.reorder(v_.x, v_.y, v_.c, v_.n);
        if (int lanes = row_lanes(s.w)) f.vectorize(v_.x, lanes);
        return parallel_planes(f, s);
    }

    // Tasks of as many (channel, image) planes of one image as make about
    // 16K values, all of its channels when they fit: a single plane of
    // 24x24 is a task of well under a microsecond, and with hundreds of
    // them the thread pool's locking took as long as the work. For a Func
    // or an update Stage whose loops are (x, y, c, n), outermost last.
    template <class FuncOrStage>
    Var parallel_planes(FuncOrStage& f, const dsl::tensor_shape& s) const {
        const int plane = s.h * s.w;
        int planes = 1;
        for (int k = s.c; k > 1; --k)
            if (s.c % k == 0 && k * plane <= 16384) {
                planes = k;
                break;
            }
        if (planes == s.c) {
            f.parallel(v_.n);
            return v_.n;
        }
        Var co("co"), ci("ci"), task("cn");
        f.split(v_.c, co, ci, planes).fuse(co, v_.n, task).parallel(task);
        return task;
    }

    // A zero-bordered copy of a map of shape `s` computed in each task of
    // `consumer`'s parallel loop `task`: rows vectorized in at least three
    // vectors, so that Halide peels the vectors that hold the border and the
    // ones between load whole rows; a vector that holds the border clamps
    // each lane's index, which gathers.
    void padded_per_task(Func f, Func consumer, Halide::VarOrRVar task, const dsl::tensor_shape& s) const {
        f.compute_at(Halide::LoopLevel(consumer, task)).reorder(v_.x, v_.y, v_.c, v_.n);
        int lanes = row_lanes(s.w);
        while (lanes > 4 && s.w < 3 * lanes) lanes /= 2;
        if (lanes) f.vectorize(v_.x, lanes);
    }

    // A reduction producing an activation-shaped Func, computed at root.
    void reduction(Func f, const dsl::tensor_shape& s) const {
        f.compute_root();
        vectorize_and_parallelize(f, s);
        Halide::Stage update = f.update();
        if (s.is_flat()) {
            Var yn("yn");
            update.reorder(v_.c, v_.x, v_.y, v_.n);
            if (s.c >= vec_) update.vectorize(v_.c, vec_, guard);
            update.fuse(v_.y, v_.n, yn).parallel(yn);
        } else {
            update.reorder(v_.x, v_.y, v_.c, v_.n);
            if (int lanes = row_lanes(s.w)) update.vectorize(v_.x, lanes, guard);
            parallel_planes(update, s);
        }
    }

    // A heavy node's output `acc` (a reduction, or a Func with an inline
    // one) stored where it is its own `consumer`, else computed inside each
    // task of the stored consumer it is fused into.
    void stored_or_fused(Func acc, Func consumer, const dsl::tensor_shape& s) const {
        if (consumer.name() == acc.name()) {
            if (acc.has_update_definition())
                reduction(acc, s);
            else
                elementwise(acc, s);
            return;
        }
        consumer.compute_root();
        if (acc.has_update_definition())
            fused_into(acc, consumer, s);
        else
            acc.compute_at(consumer, vectorize_and_parallelize(consumer, s));
    }

    // A heavy layer's reduction computed inside each task of its stored consumer.
    void fused_into(Func acc, Func consumer, const dsl::tensor_shape& s) const {
        acc.compute_at(consumer, vectorize_and_parallelize(consumer, s));
        if (s.is_flat()) {
            if (s.c >= vec_) {
                acc.reorder(v_.c, v_.x).vectorize(v_.c, vec_);
                acc.update().reorder(v_.c, v_.x).vectorize(v_.c, vec_, guard);
            }
        } else if (int lanes = row_lanes(s.w)) {
            acc.vectorize(v_.x, lanes);
            acc.update().vectorize(v_.x, lanes, guard);
        }
    }

    // The choice the tuning database makes for a conv pass (the defaults where it has none).
    conv_choice choose(const conv_key& key) const { return tuning_.choose(key); }

    // A convolution's reduction `acc` computed in register tiles of its stored
    // consumer (the conv's output, or the activation fused after it): a tile
    // is whole vectors of output columns by a few output channels, and every
    // input channel and kernel tap is accumulated into it while it stays in
    // registers (the technique of Halide's apps/conv_layer, over NCHW rows).
    //
    // With `weights` given, a narrow map whose rows would waste vector lanes
    // is tiled the other way (conv_tiles_across_channels).
    //
    // `choice` may ask for either orientation, the tile's vectors and
    // channels, and the parallel grain; what cannot apply to the shape
    // (channels that do not divide its count, a tile wider than the row)
    // keeps the rule.
    //
    // Returns the parallel loop (a quarter of an image, or a whole small
    // one), where producers the tiles read can be computed per task.
    Var conv_tiles(Func acc, Func consumer, const dsl::tensor_shape& s, const RDom& r, conv_weights weights,
                   const conv_choice& choice) const {
        using path = conv_choice::path;
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        // The tile width (whole vectors; `choice.vectors` of them where they
        // fit the row) that computes the fewest columns twice: tiles overlap
        // at the end of a row (ShiftInwards).
        int lanes = 0, vectors = 1, computed = 0;
        const int narrowest = narrowest_tile_lanes(s.w, vec_);
        for (int wanted : {choice.vectors, 0}) {
            for (int l = vec_; l >= 4 && l >= narrowest; l /= 2)
                for (int v : {2, 1}) {
                    const int t = l * v;
                    if (t > s.w || (wanted && v != wanted)) continue;
                    const int columns = (s.w + t - 1) / t * t;
                    if (lanes == 0 || columns < computed) lanes = l, vectors = v, computed = columns;
                }
            if (lanes > 0 || wanted == 0) break;
        }
        const bool vector_x = lanes > 0;
        const bool wastes_lanes = !vector_x || lanes < vec_ || computed * 5 > s.w * 6;  // > 20% recomputed
        // Rows up to the register budget wide (the tiles themselves take 16
        // columns at most); wider rows waste little along x.
        const bool across_fits = weights.f.defined() && s.c % vec_ == 0;
        const bool across = choice.route == path::across_channels
                                ? across_fits
                                : choice.route != path::along_x && across_fits && wastes_lanes && s.w <= accumulators_;
        if (across) return conv_tiles_across_channels(acc, consumer, s, r, weights, choice.parallel);
        const int tile_x = vector_x ? lanes * vectors : std::min(s.w, 4);
        const int tile_c = channel_tile(s.c, accumulators_ / (vector_x ? vectors : tile_x), choice.channels);
        Var xo("xo"), xi("xi"), co("co"), ci("ci");
        consumer.compute_root()
            .split(x, xo, xi, tile_x, Halide::TailStrategy::ShiftInwards)
            .split(c, co, ci, tile_c, Halide::TailStrategy::ShiftInwards)
            .reorder(xi, ci, xo, co, y, n);
        const Var task = parallel_rows(consumer, s, choice.parallel);
        if (vector_x) consumer.vectorize(xi, lanes);
        acc.compute_at(consumer, xo).reorder(x, c, y, n);
        acc.update().reorder(x, c, r.x, r.y, r.z, y, n).unroll(c);
        if (vector_x) {
            acc.vectorize(x, lanes);
            acc.update().vectorize(x, lanes);
            if (vectors > 1) acc.update().unroll(x);
        } else {
            acc.update().unroll(x);
        }
        few_images_in_parallel(consumer, s.h, grain_of_rows(s, choice.parallel));
        return task;
    }

    // The grain parallel_rows takes for `grain`: by default whole images
    // when they are small, else quarters of one (a task per row is too
    // short to pay for itself, and a producer computed per task recomputes
    // fewer rows of halo).
    static conv_choice::grain grain_of_rows(const dsl::tensor_shape& s, conv_choice::grain grain) {
        using enum conv_choice::grain;
        return grain != automatic ? grain : s.h * s.w < 256 ? images : quarters;
    }

    // Parallel tasks over the batch of a consumer whose outer loops are y, n,
    // of the grain grain_of_rows gives. Whole images come split in quarters
    // of rows where inference may take them in parallel
    // (few_images_in_parallel).
    Var parallel_rows(Func consumer, const dsl::tensor_shape& s,
                      conv_choice::grain grain = conv_choice::grain::automatic) const {
        using enum conv_choice::grain;
        grain = grain_of_rows(s, grain);
        if (grain == images || s.h == 1) {
            if (quarters_for_few_images(s.h, grain))
                consumer.split(v_.y, image_quarter(), Var("yi"), (s.h + 3) / 4, Halide::TailStrategy::ShiftInwards);
            consumer.parallel(v_.n);
            return v_.n;
        }
        const int rows_per_task = grain == quarters ? (s.h + 3) / 4 : 1;
        Var yo("yo"), yi("yi"), task("task");
        consumer.split(v_.y, yo, yi, rows_per_task, Halide::TailStrategy::ShiftInwards).fuse(yo, v_.n, task).parallel(task);
        return task;
    }

    // Register tiles of one vector of output channels by a row of up to 16
    // columns (8 columns on wider rows): for each input channel and tap, one
    // contiguous load of weights and one broadcast input pixel per column
    // feed whole-width FMAs, however narrow the row. The tile is transposed
    // back to rows through a small block of 8 columns by one vector of
    // channels (a dense load, a shuffle, dense row stores): reading it
    // column by column would gather.
    Var conv_tiles_across_channels(Func acc, Func consumer, const dsl::tensor_shape& s, const RDom& r,
                                   conv_weights weights, conv_choice::grain grain) const {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        Var co("co"), ci("ci");
        consumer.compute_root().split(c, co, ci, vec_).reorder(x, ci, co, y, n);
        const Var task = parallel_rows(consumer, s, grain);
        Var tile = co;
        if (s.w >= 8) {
            Var xo("xo"), xi("xi");
            consumer.split(x, xo, xi, 8, Halide::TailStrategy::ShiftInwards)
                .reorder(xi, ci, xo, co)
                .vectorize(xi)
                .unroll(ci)
                .unroll(xo);
            // A row of 24 accumulators spills once the block reads them.
            if (s.w > 16) tile = xo;
            rows_from_channels_innermost(acc, consumer, xo);
        } else if (int lanes = row_lanes(s.w)) {
            consumer.vectorize(x, lanes);
        }
        acc.compute_at(consumer, tile).reorder_storage(c, x, y, n).reorder(c, x, y, n).vectorize(c, vec_);
        // Input channels innermost: with taps innermost, LLVM shares each
        // broadcast between neighbouring taps and spills the copies.
        acc.update().reorder(c, x, r.z, r.x, r.y, y, n).vectorize(c, vec_).unroll(x);
        // Stored in the order the reduction walks them: the tile's channels
        // innermost (co forward, ci for the input gradient), then the other;
        // written in that order too, vectors of gathered weights. Written in
        // the parameters' order, the 9 taps of a weight row are stored 8 KB
        // apart (32 -> 64 channels): 3-5% of a batch-1 inference of resnet_net.
        Func stored = weights.input_gradient ? weights.f.in(acc) : weights.f;
        const auto w = stored.args();  // (kx, ky, ci, co)
        const Var tile_channel = weights.input_gradient ? w[2] : w[3];
        const Var other_channel = weights.input_gradient ? w[3] : w[2];
        stored.compute_root()
            .reorder_storage(tile_channel, other_channel, w[0], w[1])
            .reorder(tile_channel, other_channel, w[0], w[1])
            .vectorize(tile_channel, vec_, guard);
        few_images_in_parallel(consumer, s.h, grain_of_rows(s, grain));
        return task;
    }

    // `consumer`'s rows read `acc`, stored with channels innermost, through
    // a block of 8 columns by a vector of channels per iteration of `xo` (a
    // dense load, a shuffle, dense row stores): reading it column by column
    // would gather. The block wraps every reader of `acc`, which may be
    // inline in the consumer (a batchnorm inside the activation).
    void rows_from_channels_innermost(Func acc, Func consumer, Var xo) const {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        Func block = acc.in();
        block.compute_at(consumer, xo).reorder_storage(x, c, y, n).reorder(x, c, y, n).vectorize(x, 8).vectorize(c, vec_);
    }

    // A conv computed by Winograd's tiles (winograd.hpp), a row of tiles of
    // an image at a time: the row's transformed input, its 16 products (a
    // vector of output channels by the row's tiles in registers, over every
    // input channel), then its two rows of output, channels innermost,
    // which blocks of 8 columns by a vector of channels transpose into the
    // consumer's rows. `acc` is the conv of shape `s`; `padded`, where
    // defined, its zero-bordered input of shape `in`, copied per image.
    // The per-row buffers live on the stack: on the heap they were
    // thousands of allocations a batch. The parallel tasks are whole images
    // by default; `grain` may ask for quarters of one or a task per row of
    // tiles, which a batch smaller than the threads needs to use them all.
    void conv_winograd(winograd_conv& w, Func acc, Func consumer, const dsl::tensor_shape& s, Func padded,
                       const dsl::tensor_shape& in, conv_choice::grain grain) const {
        const auto& [x, y, c, n] = std::tie(v_.x, v_.y, v_.c, v_.n);
        Var yo("yo"), yi("yi"), co("co"), ci("ci"), xo("xo"), xi("xi");
        consumer.compute_root()
            .split(y, yo, yi, 2)
            .split(c, co, ci, vec_)
            .split(x, xo, xi, 8, Halide::TailStrategy::ShiftInwards)
            .reorder(xi, ci, xo, co, yi, yo, n)
            .vectorize(xi)
            .unroll(ci);
        Var task = n, row = yo;  // the parallel loop, and the loop over rows of tiles
        if (quarters_for_few_images(s.h / 2, grain)) {
            Var tile_row("tile_row");
            consumer.split(yo, image_quarter(), tile_row, (s.h / 2 + 3) / 4, Halide::TailStrategy::GuardWithIf);
            row = tile_row;
        } else if (grain == conv_choice::grain::quarters || grain == conv_choice::grain::rows) {
            const int tile_rows = s.h / 2;
            const int per_task = grain == conv_choice::grain::quarters ? (tile_rows + 3) / 4 : 1;
            Var yoo("yoo"), yoi("yoi"), fused("task");
            consumer.split(yo, yoo, yoi, per_task, Halide::TailStrategy::GuardWithIf).fuse(yoo, n, fused);
            task = fused, row = yoi;
        }
        consumer.parallel(task);
        rows_from_channels_innermost(acc, consumer, xo);

        // The two output rows from the products: each tile's 2x2 outputs unrolled.
        Var tx("tx"), i("i"), ty("ty"), j("j");
        acc.compute_at(consumer, row)
            .reorder_storage(c, x, y, n)
            .split(x, tx, i, 2)
            .split(y, ty, j, 2)
            .split(c, co, ci, vec_)
            .reorder(ci, i, j, co, tx, ty, n)
            .vectorize(ci)
            .unroll(i)
            .unroll(j)
            .store_in(Halide::MemoryType::Stack);

        const auto m = w.product.args();  // a, b, co, tx, ty, n
        const int tiles = s.w / 2;
        int tile_run = tiles;  // tiles a register block holds
        while (tile_run > accumulators_ || tiles % tile_run != 0) --tile_run;
        // The row's products, stored; each register block of them (a vector
        // of output channels by tile_run tiles, one point of the tile) is
        // summed over the input channels in registers, then copied there.
        Var to("to"), ti("ti");
        Func products = w.product.in();
        products.compute_at(consumer, row)
            .reorder_storage(m[2], m[3], m[0], m[1], m[4], m[5])
            .split(m[2], co, ci, vec_)
            .split(m[3], to, ti, tile_run)
            .reorder(ci, ti, co, to, m[0], m[1])
            .vectorize(ci)
            .unroll(ti)
            .store_in(Halide::MemoryType::Stack);
        w.product.compute_at(products, co).reorder(m[2], m[3]).vectorize(m[2], vec_).unroll(m[3]);
        w.product.update().reorder(m[2], m[3], w.r).vectorize(m[2], vec_).unroll(m[3]);

        const auto v = w.input.args();  // a, b, ci, tx, ty, n
        int lanes = vec_;
        while (lanes > 4 && lanes > tiles) lanes /= 2;
        w.input.compute_at(consumer, row)
            .reorder_storage(v[3], v[2], v[0], v[1], v[4], v[5])
            .reorder(v[3], v[0], v[1], v[2])
            .vectorize(v[3], lanes)
            .unroll(v[0])
            .unroll(v[1])
            .store_in(Halide::MemoryType::Stack);

        // The transformed weights: the 16 points of a vector of output
        // channels in one block, so that the 9 gathered taps they share are
        // loaded once (a block per point gathered them 16 times over: with
        // the weight copy before them, 44% of a batch-1 inference of
        // fashion_net, perf on Zen 5); tasks of 8 input channels, as the
        // weights are transformed at every call.
        const auto u = w.weights.args();  // a, b, ci, co
        Var coo("coo"), coi("coi"), cio("cio"), cii("cii");
        w.weights.compute_root()
            .reorder_storage(u[3], u[2], u[0], u[1])
            .split(u[3], coo, coi, vec_)
            .split(u[2], cio, cii, std::min(8, in.c))
            .reorder(coi, u[0], u[1], coo, cii, cio)
            .vectorize(coi)
            .unroll(u[0])
            .unroll(u[1])
            .parallel(cio);
        if (padded.defined()) padded_per_task(padded, consumer, task, in);
        few_images_in_parallel(consumer, s.h / 2, grain);
    }

    // Inference on a batch of fewer than `few_images`: a second loop nest
    // of `consumer` (Halide's specialize; the batch extent picks one at run
    // time) whose parallel loop is over the quarters of rows of each image
    // that parallel_rows or conv_winograd split it in, not over the images,
    // one task each, which left all threads but one idle at batch 1. To be
    // called after the last of `consumer`'s own directives: the second nest
    // copies the schedule so far. `rows` and `grain` as given to those.
    void few_images_in_parallel(Func consumer, int rows, conv_choice::grain grain) const {
        if (quarters_for_few_images(rows, grain)) consumer.specialize(few_images_).serial(v_.n).parallel(image_quarter());
    }

    // `copy`, a wrapper of `source` (x, y, c, n) whose rows are `width`
    // wide, stored with channels innermost: transposed through blocks of 8
    // columns by `lanes` channels (dense row loads, then a shuffle), which
    // column by column would gather.
    void channels_last(Func copy, Func source, int lanes, int width) const {
        const auto v = copy.args();  // x, y, c, n: a wrapper of an input buffer names them its own way
        copy.reorder_storage(v[2], v[0], v[1], v[3]);
        Var cb("cb"), cv("cv");
        copy.split(v[2], cb, cv, lanes);
        if (width >= 8) {
            Var xo("xo"), xi("xi");
            copy.split(v[0], xo, xi, 8).reorder(cv, xi, cb, xo, v[1], v[3]).vectorize(cv).vectorize(xi);
            Func block = source.in(copy);
            const auto u = block.args();
            block.compute_at(copy, cb).reorder_storage(u[0], u[2], u[1], u[3]);
            block.reorder(u[0], u[2], u[1], u[3]).vectorize(u[0], 8).vectorize(u[2], lanes);
        } else {
            copy.reorder(cv, v[0], cb, v[1], v[3]).vectorize(cv);
        }
    }

    // Transformed tiles f(a, b, channel, tx, ty, n) computed per `chunk` of
    // `consumer`, channels innermost, from a copy of `map` (rows `width`
    // wide) with channels innermost, so that their vectors are dense loads.
    void winograd_tiles_per_chunk(Func f, Func map, int width, Func consumer, Halide::VarOrRVar chunk) const {
        const auto v = f.args();  // a, b, channel, tx, ty, n
        f.compute_at(Halide::LoopLevel(consumer, chunk))
            .reorder_storage(v[2], v[3], v[4], v[5], v[0], v[1])
            .reorder(v[2], v[0], v[1], v[3], v[4], v[5])
            .vectorize(v[2], vec_)
            .unroll(v[0])
            .unroll(v[1]);
        Func copy = map.in(f);
        copy.compute_at(Halide::LoopLevel(consumer, chunk));
        channels_last(copy, map, vec_, width);
    }

    // A sum per channel over every pixel of the batch (batchnorm statistics,
    // bias and batchnorm gradients), of a Func over an activation of shape
    // `s`. Chunks of the batch are summed in parallel (rfactor), then added:
    // blocks of channels alone left a core idle where there are few.
    // Within a chunk, each column of the rows is a lane of its own, so
    // loads are whole rows (a vector as wide as the row, which LLVM splits
    // into native ones; native vectors with a masked last one measured
    // slower); rows narrower than 8 take vectors across channels instead,
    // which gather.
    void channel_sums(Func f, const dsl::tensor_shape& s) const {
        f.compute_root();
        const Var c = f.args()[0];
        const std::vector<Halide::RVar> r = f.rvars();  // x, y, image
        Halide::RVar image_o("image_o"), image_i("image_i");
        Var chunk("chunk"), column("column"), co("co"), ci("ci"), task("task");
        Halide::Stage sum = f.update().split(r[2], image_o, image_i, images_per_sum_chunk, guard);
        if (s.w >= 8 && s.w <= 32) {
            Func partial = sum.rfactor({{image_o, chunk}, {r[0], column}});
            partial.compute_root().reorder_storage(column, c).vectorize(column, s.w);
            // Channels per task: a task of at least 16K values.
            const int values = images_per_sum_chunk * s.w * s.h;
            int channels = 1;
            while (channels < s.c && channels * values < 16384 && s.c % (2 * channels) == 0) channels *= 2;
            // A task's channels innermost but for the rows: reads run on
            // through an image's planes instead of jumping between images.
            partial.update()
                .split(c, co, ci, channels)
                .reorder(column, r[1], ci, image_i, co, chunk)
                .vectorize(column, s.w)
                .fuse(co, chunk, task)
                .parallel(task);
            return;
        }
        Func partial = sum.rfactor(image_o, chunk);
        partial.compute_root();
        Halide::Stage update = partial.update();
        if (s.c >= 8) {
            const int lanes = s.c >= vec_ ? vec_ : std::min(vec_, 8);
            update.split(c, co, ci, lanes, guard)
                .reorder(ci, r[0], r[1], image_i, co, chunk)
                .vectorize(ci)
                .fuse(co, chunk, task);
        } else {
            update.reorder(r[0], r[1], image_i, c, chunk).fuse(c, chunk, task);
        }
        update.parallel(task);
    }

    // A small Func over parameters (weights, per-channel statistics),
    // copied in vectors along its first dimension where that holds
    // `contiguous` elements: the copy is made at every call, which at
    // batch 1 is every image.
    void parameter_sized(Func f, int contiguous = 0) const {
        f.compute_root();
        if (contiguous >= vec_) f.vectorize(f.args()[0], vec_, guard);
    }

    // A dense weight gradient dw(in, out): parallel over outputs, vectors
    // along inputs when there are enough of them.
    void dense_weight_gradient(Func f, int inputs) const {
        const auto args = f.args();
        f.update().parallel(args[1]);
        if (inputs >= vec_) {
            f.vectorize(args[0], vec_);
            f.update().vectorize(args[0], vec_, guard);
        }
    }

    int vector_size() const { return vec_; }
    int accumulators() const { return accumulators_; }
    // The output channels of a register tile: the most, up to `budget`, that
    // divide `channels`, unless the tuning's `chosen` divides them and fits
    // the registers.
    int channel_tile(int channels, int budget, int chosen) const {
        if (chosen && channels % chosen == 0 && chosen <= accumulators_) return chosen;
        for (int t = std::min(budget, channels); t > 1; --t)
            if (channels % t == 0) return t;
        return 1;
    }

    // Update stages accumulate, so a vector tail may neither be recomputed
    // (ShiftInwards) nor read past the input's edge (RoundUp).
    static constexpr Halide::TailStrategy guard = Halide::TailStrategy::GuardWithIf;
    // A Winograd weight gradient's parallel tasks: enough for two threads
    // to balance in a batch of 64, few enough that the groups' sums added
    // at the end cost little.
    static constexpr int images_per_weight_gradient_group = 16;

private:
    static constexpr int images_per_sum_chunk = 8;
    // Below this batch the tasks are quarters of images (4 tasks an image).
    static constexpr int few_images = 4;

    bool quarters_for_few_images(int rows, conv_choice::grain grain) const {
        return few_images_.defined() && rows >= 4 &&
               (grain == conv_choice::grain::images || grain == conv_choice::grain::automatic);
    }
    static Var image_quarter() { return Var("image_quarter"); }

    Halide::Expr few_images_;
    const dims& v_;
    const tuning_table& tuning_;
    int vec_ = 8;
    int accumulators_ = 12;
};

}  // namespace typenet::gen
