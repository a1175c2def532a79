// memtile_shift_add -- shift-and-add unit of one ADC (docs/rtl.md).
//
// Recombines the ADC codes of all (input slice i, weight slice j) pairs of one crossbar read
// into the integer accumulator of the bit-sliced engine:
//     acc[lane] += (neg ? -1 : +1) * code * mult << shift
// with, from the tile controller, mult = Lx_i * Lw_j (the slices' level counts), shift =
// shift_i + shift_j and neg = the sign of weight_i * weight_j (MSB / sign slices are negative).
// One accumulator per lane: an ADC shared by LANES columns (mux ratio) keeps one per column.
// Every update saturates to the ACC_W-bit two's-complement range and sets the lane's sticky
// overflow flag; with ACC_W sized as in docs/rtl.md saturation never happens and the result is
// exact. Reference model: memtile::core::rtlref::ShiftAddModel.
`timescale 1ns / 1ps
`default_nettype none

module memtile_shift_add #(
    parameter integer CODE_W  = 16,  // signed ADC code
    parameter integer MULT_W  = 32,  // unsigned Lx*Lw
    parameter integer SHIFT_W = 7,   // shift amount (< 32)
    parameter integer ACC_W   = 64,  // accumulator (>= CODE_W + MULT_W)
    parameter integer LANES   = 8,   // accumulators (columns per ADC)
    parameter integer LANE_W  = 3    // width of lane indices (2^LANE_W >= LANES)
) (
    input  wire               clk,
    input  wire               rst_n,    // synchronous, active low: zero all lanes and flags
    input  wire               clear,    // zero all lanes and flags (wins over valid)
    input  wire               valid,    // accumulate this cycle
    input  wire [ LANE_W-1:0] lane,     // lanes >= LANES are ignored
    input  wire [ CODE_W-1:0] code,     // signed ADC code
    input  wire [ MULT_W-1:0] mult,     // unsigned multiplier Lx_i * Lw_j
    input  wire [SHIFT_W-1:0] shift,    // shift_i + shift_j
    input  wire               neg,      // subtract (weight_i * weight_j < 0)
    input  wire [ LANE_W-1:0] rd_lane,  // read port (combinational)
    output wire [  ACC_W-1:0] rd_acc,   // signed accumulator of rd_lane (0 if out of range)
    output wire               rd_ovf,   // sticky saturation flag of rd_lane
    output wire               any_ovf   // OR of all lanes' flags
);
  localparam integer PW = CODE_W + MULT_W;  // exact signed product
  localparam integer TW = PW + ACC_W + 1;   // exact shifted term (shift clamped to ACC_W) + acc

  reg [ACC_W-1:0] acc[0:LANES-1];
  reg [LANES-1:0] ovf;

  // Exact signed product code * mult.
  wire signed [PW-1:0] code_x = {{MULT_W{code[CODE_W-1]}}, code};
  wire signed [PW-1:0] mult_x = {{CODE_W{1'b0}}, mult};
  wire signed [PW-1:0] prod = code_x * mult_x;
  // A shift above ACC_W saturates exactly as a shift of ACC_W does (|term| >= 2^ACC_W).
  wire [31:0] shift_32 = {{(32 - SHIFT_W) {1'b0}}, shift};
  wire [31:0] shift_eff = (shift_32 > ACC_W) ? ACC_W : shift_32;
  wire signed [TW-1:0] prod_x = {{(TW - PW) {prod[PW-1]}}, prod};
  wire signed [TW-1:0] shifted = prod_x <<< shift_eff;
  wire signed [TW-1:0] term = neg ? -shifted : shifted;

  wire lane_ok = {{(32 - LANE_W) {1'b0}}, lane} < LANES;
  wire [ACC_W-1:0] acc_cur = lane_ok ? acc[lane] : {ACC_W{1'b0}};
  wire signed [TW-1:0] sum = {{(TW - ACC_W) {acc_cur[ACC_W-1]}}, acc_cur} + term;
  // In range iff the bits above the accumulator's sign bit all equal the sign.
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
