// Compile-time text: a bounded string that constexpr code can build and keep.
//
// std::string works inside constant evaluation but cannot outlive it, so
// labels, tensor names and error messages computed at compile time are held
// in a static_text: a fixed-capacity char array plus a length.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace typenet::dsl {

template <std::size_t Capacity>
struct static_text {
    char data[Capacity + 1]{};
    std::size_t length = 0;

    constexpr static_text() = default;
    constexpr static_text(std::string_view s) { append(s); }

    constexpr static_text& append(std::string_view s) {
        for (char ch : s)
            if (length < Capacity) data[length++] = ch;
        return *this;
    }
    constexpr static_text& append(long long n) {
        if (n < 0) {
            append("-");
            n = -n;
        }
        char digits[24]{};
        int count = 0;
        do {
            digits[count++] = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n > 0);
        while (count > 0) append(std::string_view(&digits[--count], 1));
        return *this;
    }
    constexpr static_text& append(int n) { return append(static_cast<long long>(n)); }
    constexpr static_text& append(std::size_t n) { return append(static_cast<long long>(n)); }
    // Decimal with at most four fractional digits and no trailing zeros:
    // 0.05 -> "0.05", 0.5 -> "0.5", 2 -> "2".
    constexpr static_text& append(double x) {
        if (x < 0) {
            append("-");
            x = -x;
        }
        long long scaled = static_cast<long long>(x * 10000.0 + 0.5);
        append(scaled / 10000);
        long long frac = scaled % 10000;
        if (frac != 0) {
            append(".");
            int width = 4;
            while (frac % 10 == 0) {
                frac /= 10;
                --width;
            }
            long long pow10 = 1;
            for (int i = 1; i < width; ++i) pow10 *= 10;
            while (pow10 > frac && pow10 > 1) {  // leading zeros: 0.05 -> "05"
                append("0");
                pow10 /= 10;
            }
            append(frac);
        }
        return *this;
    }
    template <std::size_t Other>
    constexpr static_text& append(const static_text<Other>& other) {
        return append(other.view());
    }

    template <class T>
    constexpr static_text& operator<<(const T& value) {
        if constexpr (std::is_convertible_v<const T&, std::string_view>)
            return append(std::string_view(value));
        else
            return append(value);
    }

    constexpr std::string_view view() const { return {data, length}; }
    constexpr operator std::string_view() const { return view(); }
    constexpr bool empty() const { return length == 0; }
    constexpr std::size_t size() const { return length; }
    friend constexpr bool operator==(const static_text& a, std::string_view b) { return a.view() == b; }
};

// A string whose exact length is part of its type: usable as a template
// argument, which is how compile-time messages reach the compiler's output.
template <std::size_t N>
struct fixed_string {
    char data[N + 1]{};
    constexpr fixed_string() = default;
    constexpr fixed_string(const char (&s)[N + 1]) {
        for (std::size_t i = 0; i < N; ++i) data[i] = s[i];
    }
    constexpr std::string_view view() const { return {data, N}; }
    constexpr operator std::string_view() const { return view(); }
    static constexpr std::size_t size() { return N; }
};
template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

// The exact-length copy of a compile-time static_text.
template <auto Text>
constexpr auto exact_string() {
    fixed_string<Text.size()> s;
    for (std::size_t i = 0; i < Text.size(); ++i) s.data[i] = Text.data[i];
    return s;
}

}  // namespace typenet::dsl
