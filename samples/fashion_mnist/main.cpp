// The main job: trains a network written in the dsl on Fashion-MNIST.
//
//   fashion_mnist                       # fashion_net, defaults that finish in a few minutes
//   fashion_mnist --network eva --epochs 15 --optimizer adam --lr 0.003 --schedule one_cycle
//   fashion_mnist --network resnet --epochs 20 --crop 2 --flip
//   fashion_mnist --save run.safetensors --log run.csv
//   fashion_mnist --resume run.safetensors --epochs 20
//   mpirun -np 4 --hostfile hosts fashion_mnist --epochs 15   # data-parallel: 4 ranks share each batch
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <thread>
#include <typenet/trainer.hpp>

#include "common/command_line.hpp"
#include "common/job_ranks.hpp"
#include "common/line_chart.hpp"
#include "eva_net_kernels.hpp"
#include "fashion_net_kernels.hpp"
#include "resnet_net_kernels.hpp"

namespace {

constexpr const char* class_names[] = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Boot"};

struct settings {
    std::string network = "fashion";
    int epochs = 3;
    std::size_t batch = 64;
    std::string optimizer = "momentum";
    double lr = 0.05;
    double weight_decay = 5e-4;
    std::string schedule = "one_cycle";
    std::uint64_t seed = 1;
    int threads = 0;  // 0: this machine's hardware threads shared among its ranks
    std::int64_t save_every = 0;
    std::string save, resume, log, data_dir = typenet::default_fashion_mnist_dir.string();
    int patience = 0;
    int crop = 0;
    double erase = 0;
    bool flip = false;
    std::string init;
    bool confusion = false;
    std::string plot;
};

// Loss above, accuracy below, train and test, one point per epoch.
void draw_training_curves(const std::vector<typenet::epoch_record>& history, const std::string& path) {
    samples::line_chart loss{"loss per epoch", "epoch", "cross-entropy", false, {}};
    samples::line_chart accuracy{"accuracy per epoch", "epoch", "accuracy", false, {}};
    samples::series train_loss{"train", {}, {}}, test_loss{"test", {}, {}}, train_acc{"train", {}, {}},
        test_acc{"test", {}, {}};
    for (const typenet::epoch_record& e : history) {
        for (auto* line : {&train_loss, &test_loss, &train_acc, &test_acc}) line->x.push_back(e.epoch);
        train_loss.y.push_back(e.train_loss), test_loss.y.push_back(e.test_loss);
        train_acc.y.push_back(e.train_accuracy), test_acc.y.push_back(e.test_accuracy);
    }
    loss.lines = {train_loss, test_loss};
    accuracy.lines = {train_acc, test_acc};
    samples::picture both(800, 800);
    both.draw(loss.render(800, 400), 0, 0);
    both.draw(accuracy.render(800, 400), 0, 400);
    both.save_png(path);
}

template <class Kernels>
int run(const settings& s, typenet::communicator& ranks) {
    using namespace typenet;
    std::ostream discard(nullptr);
    std::ostream& out = ranks.is_root() ? std::cout : discard;  // rank 0 speaks for all
    out << dsl::summary(Kernels::network) << "CPU target: " << Kernels::selected_variant() << ", threads: " << s.threads
        << (ranks.size() > 1 ? " a rank" : "") << "\n";
    if (ranks.size() > 1)
        out << "data-parallel over " << ranks.size() << " ranks: each trains on about " << s.batch / std::size_t(ranks.size())
            << " of every " << s.batch << " images, batchnorm on its own shard's statistics\n";

    image_set train, test;
    all_or_none(ranks, [&] {  // each rank reads its own copy: every one must have it
        train = load_mnist_format(s.data_dir, "train");
        test = load_mnist_format(s.data_dir, "t10k");
    });
    out << "data: " << train.size() << " training and " << test.size() << " test images from " << s.data_dir << "\n";

    fit_options options;
    options.epochs = s.epochs;
    options.batch = s.batch;
    options.optim = optimizer_options::named(s.optimizer, s.lr);
    options.optim.weight_decay = s.weight_decay;
    options.schedule = lr_schedule::named(s.schedule);
    options.seed = s.seed;
    options.augment = {s.crop, s.flip, s.erase};
    options.save = s.save;
    options.save_every = s.save_every;
    options.log = s.log;
    options.patience = s.patience;
    // Under mpirun a rank's stdout is a terminal of the launcher's, whatever mpirun's own output is.
    options.interactive = isatty(STDOUT_FILENO) && !launched_by_mpi();
    options.out = &out;
    options.norm = measure_normalization(train);

    // Training curves, redrawn after every epoch.
    std::vector<epoch_record> history;
    if (!s.plot.empty())
        options.on_epoch = [&](const epoch_record& r) {
            history.push_back(r);
            draw_training_curves(history, s.plot);
            return true;
        };

    init_plan plan;
    if (!s.init.empty()) plan.weights = initializer::named(s.init);
    trainer<Kernels> t(s.seed, plan, ranks);
    if (!s.resume.empty()) {
        t.load(s.resume, &options.optim);
        out << "resumed from " << s.resume;
        if (t.next_batch() > 0) out << " at epoch " << t.next_epoch() + 1 << ", batch " << t.next_batch() << "\n";
        else out << " after epoch " << t.next_epoch() << "\n";
    }
    out << "training: " << s.epochs << " epochs, batch " << s.batch << ", " << s.optimizer << " lr " << s.lr << " ("
        << s.schedule << "), seed " << s.seed;
    if (s.crop || s.flip || s.erase > 0) out << ", augmentation:";
    if (s.crop) out << " crops (padding " << s.crop << ")";
    if (s.flip) out << " flips";
    if (s.erase > 0) out << " erasing (probability " << s.erase << ")";
    out << std::endl;

    const fit_result result = t.fit(train, test, options);
    const evaluation final_test = result.history.empty() ? t.evaluate(test, *options.norm) : result.final_test;
    if (s.confusion) print_confusion(out, final_test, class_names);
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, "%.4f", final_test.accuracy());
    out << "test accuracy: " << accuracy << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{"Trains a typenet network on Fashion-MNIST"};
    app.add_option("--network", s.network,
                   "fashion (under 100k parameters), eva (under 20k) or resnet (residual units, under 100k)")
        ->check(samples::named([](const std::string& name) {
            if (name != "fashion" && name != "eva" && name != "resnet")
                throw std::invalid_argument("must be fashion, eva or resnet, not \"" + name + "\"");
        }))
        ->capture_default_str();
    app.add_option("--epochs", s.epochs, "epochs to train (in all, counting a resumed run's)")
        ->check(samples::whole_number(1, 100'000))
        ->capture_default_str();
    app.add_option("--batch", s.batch, "images per batch")->check(samples::whole_number(1, 8192))->capture_default_str();
    app.add_option("--optimizer", s.optimizer, "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw")
        ->check(samples::named([](const std::string& name) { typenet::optimizer_options::named(name, 1); }))
        ->capture_default_str();
    app.add_option("--lr", s.lr, "base (peak, for one_cycle) learning rate")
        ->check(samples::real_number(0, false, 1e6))
        ->capture_default_str();
    app.add_option("--weight-decay", s.weight_decay, "L2 penalty (decoupled for adamw)")
        ->check(samples::real_number(0, true, 1e6))
        ->capture_default_str();
    app.add_option("--schedule", s.schedule, "constant, step, cosine or one_cycle")
        ->check(samples::named([](const std::string& name) { typenet::lr_schedule::named(name); }))
        ->capture_default_str();
    app.add_option("--seed", s.seed, "seed of initialization, shuffling, dropout, augmentation")
        ->check(samples::whole_number(0, std::numeric_limits<long long>::max()))
        ->capture_default_str();
    app.add_option("--threads", s.threads, "worker threads (default: this machine's hardware threads over its ranks)")
        ->check(samples::whole_number(1, 256));
    CLI::Option* save =
        app.add_option("--save", s.save, "checkpoint (safetensors) written after every epoch")->check(samples::file_to_write());
    app.add_option("--save-every", s.save_every, "also write the checkpoint every this many batches inside an epoch")
        ->check(samples::whole_number(1, std::numeric_limits<int>::max()))
        ->needs(save);
    app.add_option("--resume", s.resume, "checkpoint to continue from")->check(samples::existing_file());
    app.add_option("--log", s.log, "append per-epoch metrics: .csv, or JSON lines for any other name")
        ->check(samples::file_to_write());
    app.add_option("--data-dir", s.data_dir, "folder of the four Fashion-MNIST IDX files (.gz or not)")
        ->check(samples::existing_folder())
        ->capture_default_str();
    app.add_option("--patience", s.patience, "stop after this many epochs without a better test accuracy (0: never)")
        ->check(samples::whole_number(0, 100'000));
    app.add_option("--crop", s.crop, "augmentation: random crops of the image padded by this many pixels")
        ->check(samples::whole_number(0, 16));
    app.add_flag("--flip", s.flip, "augmentation: random horizontal flips");
    app.add_option("--erase", s.erase,
                   "augmentation: with this probability, a random rectangle (2-40% of the image) becomes noise")
        ->check(samples::real_number(0, true, 1));
    app.add_option("--init", s.init, "weight initializer for every layer (default: he_normal before ReLU)")
        ->check(samples::named([](const std::string& name) { typenet::initializer::named(name); }));
    app.add_flag("--confusion", s.confusion, "print the confusion matrix and per-class accuracy at the end");
    app.add_option("--plot", s.plot, "draw loss and accuracy per epoch (train and test) into this PNG, every epoch")
        ->check(samples::file_to_write());
    if (const auto done = samples::parse_command_line(app, argc, argv)) return *done;

    typenet::communicator* ranks = nullptr;
    try {
        ranks = &samples::job_ranks();
        if (s.threads == 0)
            s.threads = std::max(1, int(std::thread::hardware_concurrency()) / ranks->size_on_this_host());
        typenet::set_threads(s.threads);
        if (s.network == "eva") return run<eva_net_kernels>(s, *ranks);
        if (s.network == "resnet") return run<resnet_net_kernels>(s, *ranks);
        return run<fashion_net_kernels>(s, *ranks);
    } catch (const typenet::collective_error& e) {
        // Every rank stopped here alike: rank 0 says why, and each ends normally.
        if (ranks->is_root()) std::cerr << "\n" << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        if (!ranks || ranks->size() == 1) {
            std::cerr << "\n" << e.what() << "\n";
            return 1;
        }
        // This rank alone failed where no collective step catches it: the
        // others may be waiting for it in a collective call, so the job ends.
        std::cerr << "\nrank " << ranks->rank() << " of " << ranks->size() << ": " << e.what() << "\n";
        ranks->abort(1);
    }
}
