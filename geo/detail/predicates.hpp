// Internal to geo/: exact geometric predicates on doubles.
//
// orient2d(a, b, c) is the sign of the determinant | ax-cx  ay-cy ; bx-cx  by-cy |: positive
// when a, b, c turn counter-clockwise, negative when clockwise, zero when collinear. It is
// exact for all finite inputs: a floating-point evaluation decides when its error bound allows,
// otherwise the determinant is evaluated exactly as a sum of error-free terms (expansion
// arithmetic: TwoDiff for the differences, fma-based TwoProduct for the products, TwoSum to
// accumulate), whose sign is the sign of its largest non-zero component.
//
// The perturbed variants decide zero results by an infinitesimal displacement of the query
// point by (+e, +e^2) ("simulation of simplicity"), so they never return zero for a
// non-degenerate edge: this is Tessera's boundary rule (geo/locate_index.hpp).
#pragma once

#include <cmath>

namespace tessera::geo::detail {

namespace exact {

// a + b = s + err exactly.
inline void two_sum(double a, double b, double& s, double& err) {
    s = a + b;
    double bv = s - a;
    double av = s - bv;
    err = (a - av) + (b - bv);
}

// a - b = d + err exactly.
inline void two_diff(double a, double b, double& d, double& err) {
    d = a - b;
    double bv = a - d;
    double av = d + bv;
    err = (a - av) + (bv - b);
}

// a * b = p + err exactly (fma computes a*b - p without intermediate rounding).
inline void two_product(double a, double b, double& p, double& err) {
    p = a * b;
    err = std::fma(a, b, -p);
}

// Sign of the exact sum of n doubles, computed by accumulating them into a non-overlapping
// expansion (components sorted by increasing magnitude; the largest decides the sign).
template <int N>
int sum_sign(const double (&terms)[N]) {
    double e[N];
    int len = 0;
    for (int t = 0; t < N; ++t) {
        double q = terms[t];
        int out = 0;
        for (int i = 0; i < len; ++i) {
            double s, err;
            two_sum(q, e[i], s, err);
            if (err != 0)
                e[out++] = err;
            q = s;
        }
        if (q != 0)
            e[out++] = q;
        len = out;
    }
    for (int i = len - 1; i >= 0; --i)
        if (e[i] != 0)
            return e[i] > 0 ? 1 : -1;
    return 0;
}

} // namespace exact

inline int orient2d_exact(double ax, double ay, double bx, double by, double cx, double cy) {
    double acx, acx_e, bcy, bcy_e, acy, acy_e, bcx, bcx_e;
    exact::two_diff(ax, cx, acx, acx_e);
    exact::two_diff(by, cy, bcy, bcy_e);
    exact::two_diff(ay, cy, acy, acy_e);
    exact::two_diff(bx, cx, bcx, bcx_e);
    // (acx + acx_e)(bcy + bcy_e) - (acy + acy_e)(bcx + bcx_e), each product split exactly.
    double t[16];
    exact::two_product(acx, bcy, t[0], t[1]);
    exact::two_product(acx, bcy_e, t[2], t[3]);
    exact::two_product(acx_e, bcy, t[4], t[5]);
    exact::two_product(acx_e, bcy_e, t[6], t[7]);
    exact::two_product(-acy, bcx, t[8], t[9]);
    exact::two_product(-acy, bcx_e, t[10], t[11]);
    exact::two_product(-acy_e, bcx, t[12], t[13]);
    exact::two_product(-acy_e, bcx_e, t[14], t[15]);
    return exact::sum_sign(t);
}

inline int orient2d(double ax, double ay, double bx, double by, double cx, double cy) {
    double l = (ax - cx) * (by - cy);
    double r = (ay - cy) * (bx - cx);
    double det = l - r;
    // Shewchuk's bound for this evaluation order: (3 + 16 eps) eps (|l| + |r|).
    constexpr double eps = 0x1.0p-53;
    constexpr double bound = (3.0 + 16.0 * eps) * eps;
    double err = bound * (std::abs(l) + std::abs(r));
    if (det > err)
        return 1;
    if (-det > err)
        return -1;
    if (l == 0 && r == 0)
        return 0; // both products exactly zero: det is exactly zero
    return orient2d_exact(ax, ay, bx, by, cx, cy);
}

// Sign of orient2d(a, b, c + (e, e^2)). Zero only when a == b.
inline int orient2d_perturbed(double ax, double ay, double bx, double by, double cx, double cy) {
    int s = orient2d(ax, ay, bx, by, cx, cy);
    if (s != 0)
        return s;
    if (ay != by)
        return ay > by ? 1 : -1;
    if (bx != ax)
        return bx > ax ? 1 : -1;
    return 0;
}

// Sign of orient2d(p + d, r + d, a) with d = (e, e^2): a relative to the translated segment.
// Zero only when p == r.
inline int orient2d_segment_perturbed(double px, double py, double rx, double ry, double ax,
                                      double ay) {
    int s = orient2d(px, py, rx, ry, ax, ay);
    if (s != 0)
        return s;
    if (ry != py)
        return ry > py ? 1 : -1;
    if (px != rx)
        return px > rx ? 1 : -1;
    return 0;
}

} // namespace tessera::geo::detail
