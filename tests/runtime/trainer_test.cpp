// The trainer on a generated network (test_networks::mixed: conv, batchnorm,
// maxpool, dropout, dense, loss) and a small synthetic data set: it learns,
// it resumes exactly, it stops on a diverged loss keeping the last checkpoint.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <typenet/trainer.hpp>

#include "mixed_kernels.hpp"
#include "temp_dir.hpp"

using namespace typenet;

namespace {
// Class k lights up a 3x3 block at a place of its own, over noise.
image_set synthetic(std::size_t count, std::uint64_t seed) {
    image_set s;
    s.shape = mixed_kernels::input_shape;
    s.classes = mixed_kernels::classes;
    random_stream random(seed);
    for (std::size_t i = 0; i < count; ++i) {
        const int label = int(random.below(std::uint64_t(s.classes)));
        s.labels.push_back(label);
        for (int c = 0; c < s.shape.c; ++c)
            for (int y = 0; y < s.shape.h; ++y)
                for (int x = 0; x < s.shape.w; ++x) {
                    const bool lit = y / 3 == label % 3 && x / 3 == (label + c) % 2;
                    s.pixels.push_back(static_cast<std::uint8_t>((lit ? 180 : 0) + random.below(60)));
                }
    }
    return s;
}

fit_options quiet_options(std::ostream& out) {
    fit_options o;
    o.epochs = 4;
    o.batch = 16;
    o.optim = optimizer_options::named("momentum", 0.05);
    o.schedule = lr_schedule::named("one_cycle");
    o.seed = 3;
    o.out = &out;
    return o;
}
std::vector<char> file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST_CASE("the trainer learns a separable set and reports per epoch", "[trainer]") {
    const image_set train = synthetic(200, 1), test = synthetic(100, 2);
    std::ostringstream out;
    temp_dir dir;
    fit_options o = quiet_options(out);
    o.log = dir / "log.csv";
    o.augment = {1, false};
    trainer<mixed_kernels> t(o.seed);
    const fit_result r = t.fit(train, test, o);
    REQUIRE(r.history.size() == 4);
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    CHECK(r.final_test.accuracy() > 0.8);  // chance is 0.2
    CHECK(out.str().find("epoch 4/4: train loss") != std::string::npos);

    std::ifstream log(dir / "log.csv");
    std::string header, line;
    std::getline(log, header);
    CHECK(header.rfind("epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy", 0) == 0);
    int rows = 0;
    while (std::getline(log, line)) ++rows;
    CHECK(rows == 4);

    // The evaluation agrees with the generated inference pipeline's own count.
    const evaluation e = t.evaluate(test, measure_normalization(train));
    std::int64_t confusion_total = 0, diagonal = 0;
    for (std::size_t i = 0; i < e.confusion.size(); ++i)
        for (std::size_t j = 0; j < e.confusion.size(); ++j) {
            confusion_total += e.confusion[i][j];
            diagonal += i == j ? e.confusion[i][j] : 0;
        }
    CHECK(confusion_total == 100);
    CHECK(diagonal == e.correct);
    std::vector<float> images(100 * mixed_kernels::input_shape.size());
    std::vector<std::int32_t> labels(100), all(100);
    std::iota(all.begin(), all.end(), 0);
    random_stream unused(0);
    fill_batch(test, std::vector<std::uint32_t>(all.begin(), all.end()), measure_normalization(train), {}, unused, images,
               labels);
    const auto direct = mixed_kernels::evaluate(images, labels, 100, t.params(), t.buffers());
    CHECK(direct.correct == e.correct);
    CHECK(direct.loss == Approx(e.loss).epsilon(1e-4));
}

TEST_CASE("a run resumed from a checkpoint ends bit-identical to the uninterrupted run", "[trainer]") {
    const image_set train = synthetic(100, 4), test = synthetic(40, 5);
    temp_dir dir;
    std::ostringstream out;
    fit_options o = quiet_options(out);

    trainer<mixed_kernels> whole(o.seed);
    whole.fit(train, test, o);

    fit_options interrupted = o;
    interrupted.save = dir / "run.safetensors";
    interrupted.on_epoch = [](const epoch_record& r) { return r.epoch < 2; };  // "crash" after epoch 2
    trainer<mixed_kernels> first(o.seed);
    first.fit(train, test, interrupted);

    trainer<mixed_kernels> resumed(999);  // another seed's initialization: the checkpoint must replace it
    const checkpoint_metadata meta = resumed.load(dir / "run.safetensors", &o.optim);
    CHECK(meta.at("epoch") == "2");
    CHECK(resumed.next_epoch() == 2);
    const fit_result r = resumed.fit(train, test, o);
    CHECK(r.history.size() == 2);
    CHECK(std::equal(resumed.params().begin(), resumed.params().end(), whole.params().begin()));
    CHECK(std::equal(resumed.buffers().begin(), resumed.buffers().end(), whole.buffers().begin()));
}

TEST_CASE("a run stopped mid-epoch resumes exactly, with the same batch size only", "[trainer]") {
    const image_set train = synthetic(100, 4), test = synthetic(40, 5);  // 7 batches of 16 an epoch
    temp_dir dir;
    std::ostringstream out;
    fit_options o = quiet_options(out);
    o.augment = {1, true};
    trainer<mixed_kernels> whole(o.seed);
    const fit_result whole_run = whole.fit(train, test, o);

    o.save = dir / "run.safetensors";
    o.stop_after_batches = 7 + 3;  // epoch 2, batch 3
    trainer<mixed_kernels> first(o.seed);
    CHECK(first.fit(train, test, o).history.size() == 1);
    o.stop_after_batches = 0;
    o.save.clear();

    trainer<mixed_kernels> resumed(999);
    const checkpoint_metadata meta = resumed.load(dir / "run.safetensors", &o.optim);
    CHECK(meta.at("epoch") == "1");
    CHECK(meta.at("batches_into_epoch") == "3");
    const fit_result r = resumed.fit(train, test, o);
    REQUIRE(r.history.size() == 3);
    CHECK(r.history[0].train_loss == whole_run.history[1].train_loss);  // the epoch's first 3 batches counted too
    CHECK(std::equal(resumed.params().begin(), resumed.params().end(), whole.params().begin()));
    CHECK(std::equal(resumed.buffers().begin(), resumed.buffers().end(), whole.buffers().begin()));

    trainer<mixed_kernels> other_batch(o.seed);
    other_batch.load(dir / "run.safetensors", &o.optim);
    o.batch = 32;
    CHECK_THROWS_WITH(other_batch.fit(train, test, o),
                      Catch::Contains("stopped 3 batches of 16 images into epoch 2") &&
                          Catch::Contains("same batch size"));
}

TEST_CASE("a diverged loss stops training with a message and keeps the last good checkpoint", "[trainer]") {
    const image_set train = synthetic(64, 6), test = synthetic(32, 7);
    temp_dir dir;
    std::ostringstream out;
    fit_options o = quiet_options(out);
    o.epochs = 1;
    o.schedule = {};
    o.save = dir / "good.safetensors";
    trainer<mixed_kernels> t(o.seed);
    t.fit(train, test, o);
    const auto good = file_bytes(o.save);

    o.epochs = 3;
    o.optim.lr = 1e38;
    CHECK_THROWS_WITH(t.fit(train, test, o), Catch::Contains("the loss became") && Catch::Contains("epoch 2") &&
                                                 Catch::Contains("(after epoch 1), is unchanged"));
    CHECK(file_bytes(o.save) == good);
}

TEST_CASE("the trainer refuses a set of another image shape", "[trainer]") {
    image_set wrong;
    wrong.shape = {1, 28, 28};
    wrong.labels = {0};
    wrong.pixels.resize(784);
    trainer<mixed_kernels> t(1);
    std::ostringstream out;
    CHECK_THROWS_WITH(t.fit(wrong, wrong, quiet_options(out)),
                      Catch::Contains("images are 1x28x28 but the network takes 2x9x8"));
}
