#include "geo/validate.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace tessera::geo;

TEST(Validate, AcceptsValidPolygon) {
    Polygon p{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}};
    EXPECT_FALSE(find_problem(p).has_value());
}

TEST(Validate, BowTieIsSelfIntersectionWithLocation) {
    Polygon bowtie{{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}};
    auto problem = find_problem(bowtie);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->code, "self_intersection");
    ASSERT_TRUE(problem->location);
    EXPECT_NEAR(problem->location->lon, 0.5, 1e-12);
    EXPECT_NEAR(problem->location->lat, 0.5, 1e-12);
}

TEST(Validate, StructuralProblems) {
    EXPECT_EQ(find_problem(Polygon{{{{0, 0}, {1, 0}, {0, 0}}}})->code, "too_few_points");
    EXPECT_EQ(find_problem(Polygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}})->code, "ring_not_closed");
    EXPECT_EQ(find_problem(Polygon{})->code, "empty");
    EXPECT_EQ(find_problem(LineString{{{0, 0}}})->code, "too_few_points");
    EXPECT_EQ(find_problem(Point{{std::nan(""), 0}})->code, "non_finite");
    EXPECT_EQ(find_problem(Point{{200, 0}})->code, "out_of_range");
    EXPECT_FALSE(find_problem(Point{{200, 0}}, /*lonlat=*/false));
}

TEST(Validate, HoleOutsideShell) {
    Polygon p{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, {{5, 5}, {6, 5}, {6, 6}, {5, 6}, {5, 5}}}};
    auto problem = find_problem(p);
    ASSERT_TRUE(problem);
    EXPECT_EQ(problem->code, "invalid");
    EXPECT_NE(problem->message.find("Hole"), std::string::npos) << problem->message;
}
