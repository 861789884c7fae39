#include "shuffler/native/aggregation/aggregation.h"

#include <charconv>
#include <cmath>
#include <string>

#include "shuffler/native/aggregation/invalid_input.h"

namespace fcp::aggregation {
namespace {

// The shortest text that reads back as the same double (-0.5, 0.1, 1e+300), with Java's names
// for the non-finite values, which callers pass in from Java.
std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, v);
  return std::string(text, result.ptr);
}

void CheckWeights(const std::vector<double>& weights) {
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0) {
      throw InvalidInput("weight " + std::to_string(i) + " is " + Number(weights[i]) +
                         "; weights must be finite and not negative");
    }
    total += weights[i];
  }
  if (!(total > 0)) throw InvalidInput("the weights sum to 0; at least one must be positive");
  if (!std::isfinite(total)) throw InvalidInput("the weights sum to more than a double can hold");
}

void CheckSameStructure(const std::vector<Checkpoint>& updates) {
  const Checkpoint& first = updates[0];
  for (size_t u = 1; u < updates.size(); ++u) {
    const Checkpoint& update = updates[u];
    const std::string which = "checkpoint " + std::to_string(u);
    if (update.size() != first.size()) {
      throw InvalidInput(which + " has " + std::to_string(update.size()) + " tensors, checkpoint 0 has " +
                         std::to_string(first.size()));
    }
    for (size_t t = 0; t < first.size(); ++t) {
      if (update[t].name != first[t].name) {
        throw InvalidInput(which + ": tensor " + std::to_string(t) + " is '" + update[t].name +
                           "', in checkpoint 0 it is '" + first[t].name + "'");
      }
      if (update[t].shape != first[t].shape) {
        throw InvalidInput(which + ": tensor '" + update[t].name + "' has shape " + ShapeString(update[t].shape) +
                           ", in checkpoint 0 it has " + ShapeString(first[t].shape));
      }
    }
  }
}

void CheckFinite(const Checkpoint& update, size_t index) {
  for (const Tensor& tensor : update) {
    for (size_t i = 0; i < tensor.values.size(); ++i) {
      if (!std::isfinite(tensor.values[i])) {
        throw InvalidInput("checkpoint " + std::to_string(index) + ": tensor '" + tensor.name + "' element " +
                           std::to_string(i) + " is " + Number(tensor.values[i]) + "; values must be finite");
      }
    }
  }
}

}  // namespace

double L2Norm(const Checkpoint& checkpoint) {
  double sum = 0;
  for (const Tensor& tensor : checkpoint) {
    for (float v : tensor.values) sum += static_cast<double>(v) * v;
  }
  return std::sqrt(sum);
}

Checkpoint Aggregate(const std::vector<Checkpoint>& updates, const std::vector<double>& weights, double clip_norm) {
  if (updates.empty()) throw InvalidInput("no checkpoints to aggregate");
  if (weights.size() != updates.size()) {
    throw InvalidInput(std::to_string(updates.size()) + " checkpoints but " + std::to_string(weights.size()) +
                       " weights; give one weight per checkpoint");
  }
  CheckWeights(weights);
  if (!(clip_norm > 0)) {
    throw InvalidInput("clip norm is " + Number(clip_norm) + "; it must be positive (Infinity for no clipping)");
  }
  CheckSameStructure(updates);

  std::vector<std::vector<double>> sums(updates[0].size());
  for (size_t t = 0; t < sums.size(); ++t) sums[t].assign(updates[0][t].values.size(), 0.0);
  double total_weight = 0;
  for (size_t u = 0; u < updates.size(); ++u) {
    CheckFinite(updates[u], u);
    const double norm = L2Norm(updates[u]);
    const double scale = norm > clip_norm ? clip_norm / norm : 1.0;
    const double factor = weights[u] * scale;
    total_weight += weights[u];
    for (size_t t = 0; t < sums.size(); ++t) {
      const std::vector<float>& values = updates[u][t].values;
      std::vector<double>& sum = sums[t];
      for (size_t i = 0; i < values.size(); ++i) sum[i] += factor * values[i];
    }
  }

  Checkpoint result;
  result.reserve(sums.size());
  for (size_t t = 0; t < sums.size(); ++t) {
    Tensor tensor{updates[0][t].name, updates[0][t].shape, {}};
    tensor.values.reserve(sums[t].size());
    for (double sum : sums[t]) tensor.values.push_back(static_cast<float>(sum / total_weight));
    result.push_back(std::move(tensor));
  }
  return result;
}

}  // namespace fcp::aggregation
