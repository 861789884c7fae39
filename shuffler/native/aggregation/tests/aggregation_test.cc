#include "shuffler/native/aggregation/aggregation.h"

#include <cmath>
#include <limits>
#include <vector>

#include "shuffler/native/aggregation/invalid_input.h"
#include "shuffler/native/testing/harness.h"

using fcp::aggregation::Aggregate;
using fcp::aggregation::Checkpoint;
using fcp::aggregation::InvalidInput;
using fcp::aggregation::L2Norm;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Checkpoint Update(float a, float b, float c) { return {{"w", {2}, {a, b}}, {"b", {}, {c}}}; }

}  // namespace

TEST(NormIsGlobalOverTensors) { EXPECT_EQ(L2Norm(Update(3, 0, 4)), 5.0); }

TEST(WeightedMeanWithoutClipping) {
  // Exact in binary: (1*[1,2,3] + 3*[5,6,7]) / 4 = [4, 5, 6].
  const Checkpoint result = Aggregate({Update(1, 2, 3), Update(5, 6, 7)}, {1, 3}, kInf);
  EXPECT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].name, std::string("w"));
  EXPECT_TRUE(result[0].shape == std::vector<int64_t>{2});
  EXPECT_EQ(result[0].values[0], 4.0f);
  EXPECT_EQ(result[0].values[1], 5.0f);
  EXPECT_EQ(result[1].name, std::string("b"));
  EXPECT_EQ(result[1].values[0], 6.0f);
}

TEST(LongUpdatesAreScaledToTheClipNorm) {
  // [3, 0, 4] has norm 5; clipped to 1 it is [0.6, 0, 0.8]. [0.3, 0, 0.4] (norm 0.5) stays.
  const Checkpoint result = Aggregate({Update(3, 0, 4), Update(0.3f, 0, 0.4f)}, {1, 1}, 1.0);
  EXPECT_NEAR(result[0].values[0], (0.6 + 0.3) / 2, 1e-7);
  EXPECT_EQ(result[0].values[1], 0.0f);
  EXPECT_NEAR(result[1].values[0], (0.8 + 0.4) / 2, 1e-7);
}

TEST(ZeroWeightsLeaveUpdatesOut) {
  const Checkpoint result = Aggregate({Update(1, 1, 1), Update(9, 9, 9)}, {2, 0}, kInf);
  EXPECT_EQ(result[0].values[0], 1.0f);
}

TEST(SingleUpdateComesBackClipped) {
  const Checkpoint result = Aggregate({Update(0, 3, 4)}, {0.25}, 2.5);
  EXPECT_NEAR(result[0].values[1], 1.5, 1e-7);
  EXPECT_NEAR(result[1].values[0], 2.0, 1e-7);
}

TEST(NoUpdatesOrMissingWeights) {
  EXPECT_THROWS(Aggregate({}, {}, kInf), InvalidInput, "no checkpoints to aggregate");
  EXPECT_THROWS(Aggregate({Update(1, 2, 3)}, {1, 2}, kInf), InvalidInput, "1 checkpoints but 2 weights");
}

TEST(BadWeightsAreNamed) {
  const std::vector<Checkpoint> two = {Update(1, 2, 3), Update(1, 2, 3)};
  EXPECT_THROWS(Aggregate(two, {1, -0.5}, kInf), InvalidInput,
                "weight 1 is -0.5; weights must be finite and not negative");
  EXPECT_THROWS(Aggregate(two, {std::nan(""), 1}, kInf), InvalidInput, "weight 0 is NaN");
  EXPECT_THROWS(Aggregate(two, {kInf, 1}, kInf), InvalidInput, "weight 0 is Infinity");
  EXPECT_THROWS(Aggregate(two, {0, 0}, kInf), InvalidInput, "the weights sum to 0");
  EXPECT_THROWS(Aggregate(two, {1.7e308, 1.7e308}, kInf), InvalidInput, "more than a double can hold");
}

TEST(BadClipNormIsNamed) {
  EXPECT_THROWS(Aggregate({Update(1, 2, 3)}, {1}, 0), InvalidInput, "clip norm is 0; it must be positive");
  EXPECT_THROWS(Aggregate({Update(1, 2, 3)}, {1}, -1), InvalidInput, "clip norm is -1");
  EXPECT_THROWS(Aggregate({Update(1, 2, 3)}, {1}, std::nan("")), InvalidInput, "clip norm is NaN");
}

TEST(MismatchedStructureIsNamed) {
  const Checkpoint other_shape = {{"w", {1, 2}, {1, 2}}, {"b", {}, {3}}};
  EXPECT_THROWS(Aggregate({Update(1, 2, 3), other_shape}, {1, 1}, kInf), InvalidInput,
                "checkpoint 1: tensor 'w' has shape [1, 2], in checkpoint 0 it has [2]");
  const Checkpoint other_name = {{"w", {2}, {1, 2}}, {"c", {}, {3}}};
  EXPECT_THROWS(Aggregate({Update(1, 2, 3), other_name}, {1, 1}, kInf), InvalidInput,
                "checkpoint 1: tensor 1 is 'c', in checkpoint 0 it is 'b'");
  const Checkpoint fewer = {{"w", {2}, {1, 2}}};
  EXPECT_THROWS(Aggregate({Update(1, 2, 3), Update(1, 2, 3), fewer}, {1, 1, 1}, kInf), InvalidInput,
                "checkpoint 2 has 1 tensors, checkpoint 0 has 2");
}

TEST(NonFiniteValuesAreNamed) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_THROWS(Aggregate({Update(1, 2, 3), Update(1, nan, 3)}, {1, 1}, kInf), InvalidInput,
                "checkpoint 1: tensor 'w' element 1 is NaN; values must be finite");
  EXPECT_THROWS(Aggregate({Update(1, 2, -inf)}, {1}, kInf), InvalidInput,
                "checkpoint 0: tensor 'b' element 0 is -Infinity");
}

TEST(LargeValuesDoNotOverflow) {
  const float big = std::numeric_limits<float>::max();
  const Checkpoint result = Aggregate({Update(big, big, big), Update(big, big, big)}, {1, 1}, kInf);
  EXPECT_EQ(result[0].values[0], big);
  const Checkpoint clipped = Aggregate({Update(big, 0, 0)}, {1}, 1.0);
  EXPECT_NEAR(clipped[0].values[0], 1.0, 1e-7);
}
