// The native methods of org.fcp.aggregation.Aggregator (java/org/fcp/aggregation/Aggregator.java).
//
// JNI_OnLoad registers them by name and signature, so JNI_OnLoad is the library's only exported
// symbol (aggregation_jni.lds) and a Java class that does not match fails System.loadLibrary
// instead of its first call. No C++ exception crosses into the JVM: bad input becomes
// IllegalArgumentException, a null array NullPointerException, exhausted native memory
// OutOfMemoryError, anything else IllegalStateException. Arrays are copied in and out with the
// Get/Set<Type>ArrayRegion calls, so no Java array stays pinned while C++ code runs.
#include <jni.h>

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "shuffler/native/aggregation/aggregation.h"
#include "shuffler/native/aggregation/checkpoint.h"
#include "shuffler/native/aggregation/invalid_input.h"

namespace {

using fcp::aggregation::Checkpoint;
using fcp::aggregation::InvalidInput;
using fcp::aggregation::Tensor;

constexpr char kClassName[] = "org/fcp/aggregation/Aggregator";

// A Java exception is pending (a JNI call raised it, or Throw did): unwind the C++ frames and
// return to Java, which then sees that exception.
struct JavaPending {};

void CheckJava(JNIEnv* env) {
  if (env->ExceptionCheck()) throw JavaPending{};
}

[[noreturn]] void Throw(JNIEnv* env, const char* class_name, const std::string& message) {
  jclass type = env->FindClass(class_name);
  if (type != nullptr) env->ThrowNew(type, message.c_str());  // else NoClassDefFoundError is pending
  throw JavaPending{};
}

template <typename T>
T* NotNull(JNIEnv* env, T* object, const std::string& what) {
  if (object == nullptr) Throw(env, "java/lang/NullPointerException", what + " is null");
  return object;
}

// Runs `body`, turning every C++ exception into a pending Java exception (and `fallback`, which
// the JVM ignores when an exception is pending).
template <typename R, typename Body>
R Guarded(JNIEnv* env, R fallback, Body&& body) {
  try {
    try {
      return body();
    } catch (const JavaPending&) {
    } catch (const InvalidInput& e) {
      Throw(env, "java/lang/IllegalArgumentException", e.what());
    } catch (const std::bad_alloc&) {
      Throw(env, "java/lang/OutOfMemoryError", "aggregation-jni: out of native memory");
    } catch (const std::exception& e) {
      Throw(env, "java/lang/IllegalStateException", std::string("aggregation-jni: ") + e.what());
    } catch (...) {
      Throw(env, "java/lang/IllegalStateException", "aggregation-jni: unknown C++ exception");
    }
  } catch (const JavaPending&) {
  }
  return fallback;
}

// A local reference that is deleted when it goes out of scope: loops over many tensors would
// otherwise fill the JVM's table of local references.
template <typename T>
class Local {
 public:
  Local(JNIEnv* env, T ref) : env_(env), ref_(ref) {}
  Local(const Local&) = delete;
  Local& operator=(const Local&) = delete;
  ~Local() {
    if (ref_ != nullptr) env_->DeleteLocalRef(ref_);
  }
  T get() const { return ref_; }
  T release() { return std::exchange(ref_, nullptr); }

 private:
  JNIEnv* env_;
  T ref_;
};

template <typename T>
Local<T> Element(JNIEnv* env, jobjectArray array, jsize index, const std::string& what) {
  auto element = static_cast<T>(env->GetObjectArrayElement(array, index));
  CheckJava(env);
  NotNull(env, element, what + "[" + std::to_string(index) + "]");
  return Local<T>(env, element);
}

std::vector<uint8_t> ReadBytes(JNIEnv* env, jbyteArray array) {
  std::vector<uint8_t> bytes(static_cast<size_t>(env->GetArrayLength(array)));
  env->GetByteArrayRegion(array, 0, static_cast<jsize>(bytes.size()), reinterpret_cast<jbyte*>(bytes.data()));
  CheckJava(env);
  return bytes;
}

Checkpoint Decode(JNIEnv* env, jbyteArray array, const std::string& what) {
  const std::vector<uint8_t> bytes = ReadBytes(env, array);
  try {
    return fcp::aggregation::DecodeCheckpoint(bytes.data(), bytes.size());
  } catch (const InvalidInput& e) {
    throw InvalidInput(what + ": " + e.what());
  }
}

jbyteArray NewBytes(JNIEnv* env, const std::vector<uint8_t>& bytes) {
  if (bytes.size() > INT32_MAX) {
    throw InvalidInput("the checkpoint would be " + std::to_string(bytes.size()) +
                       " bytes, more than a Java array holds");
  }
  const auto size = static_cast<jsize>(bytes.size());
  jbyteArray array = env->NewByteArray(size);
  if (array == nullptr) throw JavaPending{};  // OutOfMemoryError
  env->SetByteArrayRegion(array, 0, size, reinterpret_cast<const jbyte*>(bytes.data()));
  CheckJava(env);
  return array;
}

jclass FindClass(JNIEnv* env, const char* name) {
  jclass type = env->FindClass(name);
  if (type == nullptr) throw JavaPending{};
  return type;
}

// byte[] nativeAggregate(byte[][] checkpoints, double[] weights, double clipNorm)
jbyteArray NativeAggregate(JNIEnv* env, jclass, jobjectArray checkpoints, jdoubleArray weights, jdouble clip_norm) {
  return Guarded<jbyteArray>(env, nullptr, [&] {
    NotNull(env, checkpoints, "checkpoints");
    NotNull(env, weights, "weights");
    std::vector<Checkpoint> updates;
    const jsize count = env->GetArrayLength(checkpoints);
    updates.reserve(static_cast<size_t>(count));
    for (jsize i = 0; i < count; ++i) {
      Local<jbyteArray> bytes = Element<jbyteArray>(env, checkpoints, i, "checkpoints");
      updates.push_back(Decode(env, bytes.get(), "checkpoint " + std::to_string(i)));
    }
    std::vector<double> weight_values(static_cast<size_t>(env->GetArrayLength(weights)));
    env->GetDoubleArrayRegion(weights, 0, static_cast<jsize>(weight_values.size()), weight_values.data());
    CheckJava(env);
    return NewBytes(env, fcp::aggregation::EncodeCheckpoint(fcp::aggregation::Aggregate(updates, weight_values, clip_norm)));
  });
}

// byte[] nativeEncode(String[] names, long[][] shapes, float[][] values)
jbyteArray NativeEncode(JNIEnv* env, jclass, jobjectArray names, jobjectArray shapes, jobjectArray values) {
  return Guarded<jbyteArray>(env, nullptr, [&] {
    NotNull(env, names, "names");
    NotNull(env, shapes, "shapes");
    NotNull(env, values, "values");
    const jsize count = env->GetArrayLength(names);
    if (env->GetArrayLength(shapes) != count || env->GetArrayLength(values) != count) {
      throw InvalidInput(std::to_string(count) + " names, " + std::to_string(env->GetArrayLength(shapes)) +
                         " shapes and " + std::to_string(env->GetArrayLength(values)) +
                         " value arrays; give one of each per tensor");
    }
    Checkpoint checkpoint(static_cast<size_t>(count));
    for (jsize i = 0; i < count; ++i) {
      Tensor& tensor = checkpoint[static_cast<size_t>(i)];
      Local<jstring> name = Element<jstring>(env, names, i, "names");
      // Modified UTF-8; names are printable ASCII, where it is plain ASCII, and the encoder
      // rejects any other byte with a message.
      std::vector<char> utf(static_cast<size_t>(env->GetStringUTFLength(name.get())) + 1);  // + NUL
      env->GetStringUTFRegion(name.get(), 0, env->GetStringLength(name.get()), utf.data());
      CheckJava(env);
      tensor.name.assign(utf.data(), utf.size() - 1);
      Local<jlongArray> shape = Element<jlongArray>(env, shapes, i, "shapes");
      std::vector<jlong> dims(static_cast<size_t>(env->GetArrayLength(shape.get())));
      env->GetLongArrayRegion(shape.get(), 0, static_cast<jsize>(dims.size()), dims.data());
      CheckJava(env);
      tensor.shape.assign(dims.begin(), dims.end());
      Local<jfloatArray> data = Element<jfloatArray>(env, values, i, "values");
      tensor.values.resize(static_cast<size_t>(env->GetArrayLength(data.get())));
      env->GetFloatArrayRegion(data.get(), 0, static_cast<jsize>(tensor.values.size()), tensor.values.data());
      CheckJava(env);
    }
    return NewBytes(env, fcp::aggregation::EncodeCheckpoint(checkpoint));
  });
}

// Object[] nativeDecode(byte[] checkpoint): {String[] names, long[][] shapes, float[][] values}
jobjectArray NativeDecode(JNIEnv* env, jclass, jbyteArray bytes) {
  return Guarded<jobjectArray>(env, nullptr, [&] {
    NotNull(env, bytes, "checkpoint");
    const Checkpoint checkpoint = Decode(env, bytes, "checkpoint");
    const auto count = static_cast<jsize>(checkpoint.size());
    Local<jobjectArray> names(env, env->NewObjectArray(count, FindClass(env, "java/lang/String"), nullptr));
    Local<jobjectArray> shapes(env, env->NewObjectArray(count, FindClass(env, "[J"), nullptr));
    Local<jobjectArray> values(env, env->NewObjectArray(count, FindClass(env, "[F"), nullptr));
    if (names.get() == nullptr || shapes.get() == nullptr || values.get() == nullptr) throw JavaPending{};
    for (jsize i = 0; i < count; ++i) {
      const Tensor& tensor = checkpoint[static_cast<size_t>(i)];
      Local<jstring> name(env, env->NewStringUTF(tensor.name.c_str()));
      if (name.get() == nullptr) throw JavaPending{};
      env->SetObjectArrayElement(names.get(), i, name.get());
      const std::vector<jlong> dims(tensor.shape.begin(), tensor.shape.end());
      Local<jlongArray> shape(env, env->NewLongArray(static_cast<jsize>(dims.size())));
      if (shape.get() == nullptr) throw JavaPending{};
      env->SetLongArrayRegion(shape.get(), 0, static_cast<jsize>(dims.size()), dims.data());
      env->SetObjectArrayElement(shapes.get(), i, shape.get());
      // kMaxElements keeps every tensor within a Java array.
      Local<jfloatArray> data(env, env->NewFloatArray(static_cast<jsize>(tensor.values.size())));
      if (data.get() == nullptr) throw JavaPending{};
      env->SetFloatArrayRegion(data.get(), 0, static_cast<jsize>(tensor.values.size()), tensor.values.data());
      env->SetObjectArrayElement(values.get(), i, data.get());
      CheckJava(env);
    }
    Local<jobjectArray> result(env, env->NewObjectArray(3, FindClass(env, "java/lang/Object"), nullptr));
    if (result.get() == nullptr) throw JavaPending{};
    env->SetObjectArrayElement(result.get(), 0, names.get());
    env->SetObjectArrayElement(result.get(), 1, shapes.get());
    env->SetObjectArrayElement(result.get(), 2, values.get());
    CheckJava(env);
    return result.release();
  });
}

// double nativeL2Norm(byte[] checkpoint)
jdouble NativeL2Norm(JNIEnv* env, jclass, jbyteArray bytes) {
  return Guarded<jdouble>(env, 0.0, [&] {
    NotNull(env, bytes, "checkpoint");
    return fcp::aggregation::L2Norm(Decode(env, bytes, "checkpoint"));
  });
}

// int nativeFormatVersion()
jint NativeFormatVersion(JNIEnv*, jclass) { return static_cast<jint>(fcp::aggregation::kFormatVersion); }

}  // namespace

extern "C" JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  jclass type = env->FindClass(kClassName);
  if (type == nullptr) return JNI_ERR;  // NoClassDefFoundError is pending
  static const JNINativeMethod kMethods[] = {
      {const_cast<char*>("nativeAggregate"), const_cast<char*>("([[B[DD)[B"), reinterpret_cast<void*>(&NativeAggregate)},
      {const_cast<char*>("nativeEncode"), const_cast<char*>("([Ljava/lang/String;[[J[[F)[B"),
       reinterpret_cast<void*>(&NativeEncode)},
      {const_cast<char*>("nativeDecode"), const_cast<char*>("([B)[Ljava/lang/Object;"), reinterpret_cast<void*>(&NativeDecode)},
      {const_cast<char*>("nativeL2Norm"), const_cast<char*>("([B)D"), reinterpret_cast<void*>(&NativeL2Norm)},
      {const_cast<char*>("nativeFormatVersion"), const_cast<char*>("()I"), reinterpret_cast<void*>(&NativeFormatVersion)},
  };
  if (env->RegisterNatives(type, kMethods, sizeof kMethods / sizeof kMethods[0]) != JNI_OK) return JNI_ERR;
  env->DeleteLocalRef(type);
  return JNI_VERSION_1_8;
}
