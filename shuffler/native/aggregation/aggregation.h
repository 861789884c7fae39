// Federated averaging: the weighted mean of client updates, each first clipped to an L2 norm.
#ifndef SHUFFLER_NATIVE_AGGREGATION_AGGREGATION_H_
#define SHUFFLER_NATIVE_AGGREGATION_AGGREGATION_H_

#include <vector>

#include "shuffler/native/aggregation/checkpoint.h"

namespace fcp::aggregation {

// The L2 norm of all of a checkpoint's values together (the global norm over its tensors),
// computed in double precision.
double L2Norm(const Checkpoint& checkpoint);

// sum_i(w_i * c_i * u_i) / sum_i(w_i), element by element, where c_i = min(1, clip_norm /
// L2Norm(u_i)) scales update u_i down to the clip norm if it is longer. Sums run in double
// precision, in update order; the result is rounded to float32 once.
//
// InvalidInput when: there are no updates; the weight count differs from the update count; a
// weight is negative, NaN or infinite, or all are zero; clip_norm is not positive (+infinity
// means no clipping; NaN is refused); an update's tensor names, order or shapes differ from the
// first update's; or a value is NaN or infinite. Messages number the updates from 0.
Checkpoint Aggregate(const std::vector<Checkpoint>& updates, const std::vector<double>& weights, double clip_norm);

}  // namespace fcp::aggregation

#endif  // SHUFFLER_NATIVE_AGGREGATION_AGGREGATION_H_
