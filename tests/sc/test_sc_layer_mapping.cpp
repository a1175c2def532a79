// The virtual platform's placement of a layer (sc::LayerMapping, docs/mapping.md): the blocks
// of core::LayerTiling in rounds over the tiles a layer owns, values derived by hand.
#define BOOST_TEST_MODULE memtile sc layer mapping
#include <boost/test/unit_test.hpp>
#include <string>

#include "memtile/core/Errors.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"

// Boost owns main(); libsystemc (linked through memtile::sc) still references sc_main.
extern "C" int sc_main(int, char*[]) { return 0; }

using namespace memtile;

// K = 400, N = 120 on tiles of 32 x 32: 13 x 4 = 52 blocks. The layer owns tiles 1..7
// (tile_base 1, 7 tiles available): ceil(52 / 7) = 8 rounds, the last of blocks 49..51;
// block b runs on tile 1 + b mod 7 (block 6 on tile 7, block 7 back on tile 1, block 50 on 2).
BOOST_AUTO_TEST_CASE(blocks_run_in_rounds_over_the_available_tiles) {
  const sc::LayerMapping m(core::LayerTiling(400, 120, 32, 32), 1, 7);
  BOOST_TEST(m.tiling.blocks() == 52);
  BOOST_TEST(m.rounds() == 8);
  BOOST_TEST(m.first_block(0) == 0);
  BOOST_TEST(m.end_block(0) == 7);
  BOOST_TEST(m.first_block(7) == 49);
  BOOST_TEST(m.end_block(7) == 52);
  BOOST_TEST(m.tile_of(0) == 1);
  BOOST_TEST(m.tile_of(6) == 7);
  BOOST_TEST(m.tile_of(7) == 1);
  BOOST_TEST(m.tile_of(50) == 2);
}

// 64 x 64 on 32 x 32 tiles with 4 tiles from tile 0: one round, block b on tile b.
BOOST_AUTO_TEST_CASE(a_layer_that_fits_takes_one_round) {
  const sc::LayerMapping m(core::LayerTiling(64, 64, 32, 32), 0, 4);
  BOOST_TEST(m.rounds() == 1);
  BOOST_TEST(m.end_block(0) == 4);
  for (int b = 0; b < 4; ++b) BOOST_TEST(m.tile_of(b) == b);
}

BOOST_AUTO_TEST_CASE(bad_placement_names_the_field) {
  const core::LayerTiling t(64, 64, 32, 32);
  auto message = [&](int base, int avail) -> std::string {
    try {
      sc::LayerMapping(t, base, avail);
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(message(0, 0).rfind("mapping.tiles_available:", 0) == 0);
  BOOST_TEST(message(-1, 4).rfind("mapping.tile_base:", 0) == 0);
}
