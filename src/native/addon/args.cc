#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace args {

namespace {

const char* typedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "a typed array";
}

template <typename Array>
Array typedArray(const Napi::Value& value, const std::string& name, napi_typedarray_type type) {
  std::string expected = std::string(type == napi_int32_array ? "an " : "a ") + typedArrayName(type);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) throwType(value, name, expected);
  return value.As<Array>();
}

}  // namespace

std::string formatNumber(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

bool Interval::contains(double x) const {
  return (includesMin ? x >= min : x > min) && (includesMax ? x <= max : x < max);
}

std::string Interval::text() const {
  bool bottomless = std::isinf(min), topless = std::isinf(max);
  if (bottomless && topless) return "";
  if (topless) return (includesMin ? " >= " : " > ") + formatNumber(min);
  if (bottomless) return (includesMax ? " <= " : " < ") + formatNumber(max);
  return std::string(includesMin ? " in [" : " in (") + formatNumber(min) + ", " + formatNumber(max) + (includesMax ? "]" : ")");
}

std::string describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return value.ToString().Utf8Value();  // JavaScript's own spelling: NaN, -Infinity, 1e+300
    case napi_string: {
      // Quoted and cut short: a string argument may be anything, a whole file's content included.
      std::string text = value.As<Napi::String>().Utf8Value();
      if (text.size() <= 40) return "'" + printable(text) + "'";
      size_t cut = 40;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
      return "'" + printable(text.substr(0, cut)) + "...'";
    }
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_external: return "an external value";
    case napi_object:
      if (value.IsTypedArray()) return typedArrayName(value.As<Napi::TypedArray>().TypedArrayType());
      if (value.IsArray()) return "an array";
      if (value.IsArrayBuffer()) return "an ArrayBuffer";
      if (value.IsDataView()) return "a DataView";
      return "an object";
  }
  return "an unknown value";
}

std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void throwType(const Napi::Value& value, const std::string& name, const std::string& expected) {
  throw Napi::TypeError::New(value.Env(), name + " must be " + expected + ", got " + describe(value));
}

void throwRange(const Napi::Env& env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

Napi::Object object(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray() || value.IsFunction()) throwType(value, name, "an object");
  return value.As<Napi::Object>();
}

bool boolean(const Napi::Value& value, const std::string& name) {
  if (!value.IsBoolean()) throwType(value, name, "true or false");
  return value.As<Napi::Boolean>().Value();
}

bool optionalBoolean(const Napi::Value& value, const std::string& name, bool otherwise) {
  return value.IsUndefined() ? otherwise : boolean(value, name);
}

std::string string(const Napi::Value& value, const std::string& name) {
  if (!value.IsString()) throwType(value, name, "a string");
  std::string text = value.As<Napi::String>().Utf8Value();
  if (text.empty()) throwRange(value.Env(), name + " must not be empty");
  if (text.find('\0') != std::string::npos) throwRange(value.Env(), name + " must not contain a NUL character");
  return text;
}

double number(const Napi::Value& value, const std::string& name, const Interval& range) {
  std::string expected = "a finite number" + range.text();
  if (!value.IsNumber()) throwType(value, name, expected);
  double x = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x) || !range.contains(x)) throwRange(value.Env(), name + " must be " + expected + ", got " + describe(value));
  return x;
}

int64_t wholeNumber(const Napi::Value& value, const std::string& name, int64_t min, int64_t max) {
  std::string expected = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!value.IsNumber()) throwType(value, name, expected);
  double x = value.As<Napi::Number>().DoubleValue();
  // The range test comes first, so that the cast below never sees NaN or a value outside int64.
  if (!(x >= static_cast<double>(min) && x <= static_cast<double>(max)) || std::trunc(x) != x) {
    throwRange(value.Env(), name + " must be " + expected + ", got " + describe(value));
  }
  return static_cast<int64_t>(x);
}

Napi::Array array(const Napi::Value& value, const std::string& name, uint32_t minLength, uint32_t maxLength) {
  std::string entries = minLength == maxLength ? std::to_string(minLength) : std::to_string(minLength) + " to " + std::to_string(maxLength);
  if (!value.IsArray()) throwType(value, name, "an array of " + entries + " numbers");
  auto items = value.As<Napi::Array>();
  if (items.Length() < minLength || items.Length() > maxLength) {
    throwRange(value.Env(), name + " must have " + entries + " entries, got " + std::to_string(items.Length()));
  }
  return items;
}

std::array<float, 3> channels(const Napi::Value& value, const std::string& name, const Interval& range) {
  auto items = array(value, name, 3, 3);
  std::array<float, 3> out{};
  for (uint32_t c = 0; c < 3; ++c) {
    out[c] = static_cast<float>(number(items.Get(c), name + "[" + std::to_string(c) + "]", range));
  }
  return out;
}

Napi::Uint8Array uint8Array(const Napi::Value& value, const std::string& name) {
  return typedArray<Napi::Uint8Array>(value, name, napi_uint8_array);
}

Napi::Int32Array int32Array(const Napi::Value& value, const std::string& name) {
  return typedArray<Napi::Int32Array>(value, name, napi_int32_array);
}

Napi::Float32Array float32Array(const Napi::Value& value, const std::string& name) {
  return typedArray<Napi::Float32Array>(value, name, napi_float32_array);
}

Napi::Float32Array float32Array(const Napi::Value& value, const std::string& name, size_t length, const std::string& why) {
  auto values = float32Array(value, name);
  if (values.ElementLength() != length) {
    throwRange(value.Env(), name + " must have " + std::to_string(length) + " elements (" + why + "), got " +
                                std::to_string(values.ElementLength()));
  }
  return values;
}

void indicesBelow(const Napi::Int32Array& indices, const std::string& name, int64_t count, const std::string& what) {
  const int32_t* data = indices.Data();
  for (size_t i = 0; i < indices.ElementLength(); ++i) {
    if (data[i] < 0 || data[i] >= count) {
      throwRange(indices.Env(), name + "[" + std::to_string(i) + "] is " + std::to_string(data[i]) + ", outside " + what);
    }
  }
}

void elementsWithin(const Napi::Float32Array& values, const std::string& name, const Interval& range) {
  const float* data = values.Data();
  for (size_t i = 0; i < values.ElementLength(); ++i) {
    if (!std::isfinite(data[i]) || !range.contains(data[i])) {
      throwRange(values.Env(), name + "[" + std::to_string(i) + "] must be a finite number" + range.text() + ", got " +
                                   formatNumber(data[i]));
    }
  }
}

}  // namespace args
