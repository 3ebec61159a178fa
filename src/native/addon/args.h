// Checked reads of JavaScript arguments: every getter checks the value's type (the kind of a typed array
// included), range and integrality, and throws a one-line TypeError or RangeError that names the argument,
// e.g. "indices must be an Int32Array, got Float64Array".
#pragma once
#include <napi.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

namespace args {

// A range of numbers, written in messages as " in [0, 1)", " > 0", or "" when unbounded (min, max infinite).
struct Interval {
  double min = -INFINITY;
  double max = INFINITY;
  bool includesMin = true;
  bool includesMax = true;
  bool contains(double x) const;
  std::string text() const;
};

// A number as JavaScript spells the special ones (NaN, Infinity), others as %g.
std::string formatNumber(double x);
// How a value reads in a message: "Float64Array", "NaN", "100000", "'gpu'", "undefined".
std::string describe(const Napi::Value& value);
// The text with control characters written as escapes, so that a path cannot break a message into lines.
std::string printable(const std::string& text);

[[noreturn]] void throwType(const Napi::Value& value, const std::string& name, const std::string& expected);
[[noreturn]] void throwRange(const Napi::Env& env, const std::string& message);

Napi::Object object(const Napi::Value& value, const std::string& name);
bool boolean(const Napi::Value& value, const std::string& name);
// undefined reads as `otherwise`.
bool optionalBoolean(const Napi::Value& value, const std::string& name, bool otherwise);
// A string without NUL characters (which would cut a path short).
std::string string(const Napi::Value& value, const std::string& name);

// A finite number inside `range`.
double number(const Napi::Value& value, const std::string& name, const Interval& range);
// A whole number from min to max, inclusive.
int64_t wholeNumber(const Napi::Value& value, const std::string& name, int64_t min, int64_t max);
// An array (a plain JavaScript one) with minLength..maxLength entries.
Napi::Array array(const Napi::Value& value, const std::string& name, uint32_t minLength, uint32_t maxLength);
// Three finite numbers in `range`, one per colour channel.
std::array<float, 3> channels(const Napi::Value& value, const std::string& name, const Interval& range);

Napi::Uint8Array uint8Array(const Napi::Value& value, const std::string& name);
Napi::Int32Array int32Array(const Napi::Value& value, const std::string& name);
Napi::Float32Array float32Array(const Napi::Value& value, const std::string& name);
// A Float32Array with exactly `length` elements; `why` says where the length comes from ("one per class").
Napi::Float32Array float32Array(const Napi::Value& value, const std::string& name, size_t length, const std::string& why);

// Every element of `indices` is in [0, count); `what` says what they index ("the 3 classes").
void indicesBelow(const Napi::Int32Array& indices, const std::string& name, int64_t count, const std::string& what);
// Every element is finite and inside `range`.
void elementsWithin(const Napi::Float32Array& values, const std::string& name, const Interval& range);

}  // namespace args
