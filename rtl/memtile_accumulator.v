// memtile_accumulator -- partial-sum accumulator across row partitions (docs/rtl.md).
//
// Each row partition of a layer produces, per output column, one integer partial sum (the
// shift-add result of that partition). This block reduces them:
//     acc[lane] += psum << shift
// `shift` aligns partial sums whose scales differ by a power of two (block floating point:
// the exponent difference; 0 for integer modes with a common scale). Every update saturates
// to the ACC_W-bit two's-complement range and sets the lane's sticky overflow flag; sized as in
// docs/rtl.md it never saturates. Reference model: memtile::core::rtlref::PartialSumAccumulatorModel.
`timescale 1ns / 1ps
`default_nettype none

module memtile_accumulator #(
    parameter integer IN_W    = 64,  // signed partial sum
    parameter integer SHIFT_W = 6,   // alignment shift (< 32)
    parameter integer ACC_W   = 64,  // accumulator
    parameter integer LANES   = 8,   // accumulators (columns handled by this unit)
    parameter integer LANE_W  = 3    // width of lane indices (2^LANE_W >= LANES)
) (
    input  wire               clk,
    input  wire               rst_n,    // synchronous, active low: zero all lanes and flags
    input  wire               clear,    // zero all lanes and flags (wins over valid)
    input  wire               valid,    // accumulate this cycle
    input  wire [ LANE_W-1:0] lane,     // lanes >= LANES are ignored
    input  wire [   IN_W-1:0] psum,     // signed partial sum
    input  wire [SHIFT_W-1:0] shift,    // left alignment shift
    input  wire [ LANE_W-1:0] rd_lane,  // read port (combinational)
    output wire [  ACC_W-1:0] rd_acc,   // signed accumulator of rd_lane (0 if out of range)
    output wire               rd_ovf,   // sticky saturation flag of rd_lane
    output wire               any_ovf   // OR of all lanes' flags
);
  localparam integer TW = IN_W + ACC_W + 1;  // exact shifted input (shift clamped) + acc

  reg [ACC_W-1:0] acc[0:LANES-1];
  reg [LANES-1:0] ovf;

  // A shift above ACC_W saturates exactly as a shift of ACC_W does (|term| >= 2^ACC_W).
  wire [31:0] shift_32 = {{(32 - SHIFT_W) {1'b0}}, shift};
  wire [31:0] shift_eff = (shift_32 > ACC_W) ? ACC_W : shift_32;
  wire signed [TW-1:0] psum_x = {{(TW - IN_W) {psum[IN_W-1]}}, psum};
  wire signed [TW-1:0] term = psum_x <<< shift_eff;

  wire lane_ok = {{(32 - LANE_W) {1'b0}}, lane} < LANES;
  wire [ACC_W-1:0] acc_cur = lane_ok ? acc[lane] : {ACC_W{1'b0}};
  wire signed [TW-1:0] sum = {{(TW - ACC_W) {acc_cur[ACC_W-1]}}, acc_cur} + term;
  wire [TW-ACC_W:0] top = sum[TW-1:ACC_W-1];
  wire fits = (top == {(TW - ACC_W + 1) {1'b0}}) || (top == {(TW - ACC_W + 1) {1'b1}});
  wire [ACC_W-1:0] sat = sum[TW-1] ? {1'b1, {(ACC_W - 1) {1'b0}}} : {1'b0, {(ACC_W - 1) {1'b1}}};
  wire [ACC_W-1:0] next = fits ? sum[ACC_W-1:0] : sat;

  wire rd_ok = {{(32 - LANE_W) {1'b0}}, rd_lane} < LANES;
  assign rd_acc  = rd_ok ? acc[rd_lane] : {ACC_W{1'b0}};
  assign rd_ovf  = rd_ok ? ovf[rd_lane] : 1'b0;
  assign any_ovf = |ovf;

  integer k;
  always @(posedge clk) begin
    if (!rst_n || clear) begin
      for (k = 0; k < LANES; k = k + 1) acc[k] <= {ACC_W{1'b0}};
      ovf <= {LANES{1'b0}};
    end else if (valid && lane_ok) begin
      acc[lane] <= next;
      if (!fits) ovf[lane] <= 1'b1;
    end
  end
endmodule

`default_nettype wire
