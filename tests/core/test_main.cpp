#define BOOST_TEST_MODULE memtile core
#include <boost/test/unit_test.hpp>
