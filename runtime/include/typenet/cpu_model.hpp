// Which CPU model this is, as the tuning databases name it: vendor, family
// and model from CPUID ("amd-25-1" for Zen 3, "intel-6-207" for Emerald
// Rapids). Header-only, so the tuner (which links Halide, not the runtime)
// names the CPU the same way the runtime does.
#pragma once

#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace typenet {

struct cpu_model {
    std::string vendor;  // "amd", "intel", or CPUID's vendor string in lower case
    int family = 0, model = 0;
    std::string name;    // the brand string ("AMD EPYC 7B13 64-Core Processor")

    // "amd-25-1": the key of a tuning database.
    std::string key() const { return vendor + "-" + std::to_string(family) + "-" + std::to_string(model); }
};

// This CPU's model; "unknown-0-0" where CPUID is not there to ask.
inline cpu_model this_cpu_model() {
    cpu_model m{"unknown", 0, 0, ""};
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return m;
    char vendor[13] = {};
    for (int i = 0; i < 4; ++i) {
        vendor[i] = char(b >> (8 * i));
        vendor[4 + i] = char(d >> (8 * i));
        vendor[8 + i] = char(c >> (8 * i));
    }
    const std::string v = vendor;
    if (v == "AuthenticAMD") {
        m.vendor = "amd";
    } else if (v == "GenuineIntel") {
        m.vendor = "intel";
    } else {
        m.vendor.clear();
        for (char ch : v)
            if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
                m.vendor += char(ch | 0x20);
    }
    __get_cpuid(1, &a, &b, &c, &d);
    // The displayed family and model (Intel SDM vol. 2A, CPUID leaf 1; AMD's the same).
    const int base_family = int((a >> 8) & 0xf), base_model = int((a >> 4) & 0xf);
    m.family = base_family == 0xf ? base_family + int((a >> 20) & 0xff) : base_family;
    m.model = base_family == 0x6 || base_family == 0xf ? base_model + (int((a >> 16) & 0xf) << 4) : base_model;
    unsigned highest = 0;
    __get_cpuid(0x80000000, &highest, &b, &c, &d);
    if (highest >= 0x80000004) {
        unsigned words[12];
        for (unsigned leaf = 0; leaf < 3; ++leaf)
            __get_cpuid(0x80000002 + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2],
                        &words[4 * leaf + 3]);
        std::string name(reinterpret_cast<const char*>(words), sizeof words);
        name = name.substr(0, name.find('\0'));
        const auto first = name.find_first_not_of(' '), last = name.find_last_not_of(' ');
        m.name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    }
#endif
    return m;
}

}  // namespace typenet
