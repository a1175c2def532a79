// memtile_sar_logic -- successive-approximation register of a column ADC (docs/rtl.md).
//
// Resolves one bit per clock from a comparator driven by the analog model. The trial code
// `dac_code` (offset binary, 0..levels-1) goes to the capacitive DAC; the analog side answers
// `cmp` = 1 when the held input (in LSB units, t = I/I_fs * levels/2) is at or above the
// threshold of that trial code, (dac_code - levels/2 - 0.5) LSB. The result is the number of
// thresholds below t, i.e. round(t) clipped to [-levels/2, levels-1-levels/2], the code of
// memtile::core::AdcQuantiser. How a tie (t exactly on a threshold) resolves is the
// comparator's decision (docs/rtl.md: SAR ties).
//
// Timing: `start` (while idle) samples; then cfg_nbits clocks, one per bit, MSB first; `done`
// pulses for one clock with the code in `code_u` / `code_s`, which hold until the next start.
// Trial codes >= cfg_levels are rejected without looking at cmp, so non-power-of-two level
// counts clip at levels-1. Reference model: memtile::core::rtlref::SarLogicModel.
`timescale 1ns / 1ps
`default_nettype none

module memtile_sar_logic #(
    parameter integer NMAX = 16,  // widest conversion in bits (levels <= 2^NMAX)
    parameter integer NB_W = 5    // width of cfg_nbits (holds NMAX)
) (
    input  wire            clk,
    input  wire            rst_n,       // synchronous, active low
    input  wire [  NMAX:0] cfg_levels,  // radc, 2 .. 2^NMAX
    input  wire [NB_W-1:0] cfg_nbits,   // bits to resolve: ceil(log2(levels)); 0 acts as 1, > NMAX as NMAX
    input  wire            start,       // sample and begin a conversion (ignored while busy)
    input  wire            cmp,         // comparator: held input >= threshold(dac_code)
    output wire [NMAX-1:0] dac_code,    // trial code on the DAC (offset binary)
    output reg             busy,
    output reg             done,        // one-cycle pulse, code valid
    output reg  [NMAX-1:0] code_u,      // result, offset binary 0 .. levels-1
    output wire [NMAX-1:0] code_s       // result, signed two's complement: code_u - levels/2
);
  reg [NMAX-1:0] sar;   // bits decided so far
  reg [NMAX-1:0] mask;  // one-hot trial bit (0 when idle)

  wire [NB_W-1:0] nbits_eff = (cfg_nbits == {NB_W{1'b0}}) ? {{(NB_W - 1) {1'b0}}, 1'b1}
                            : (cfg_nbits > NMAX[NB_W-1:0]) ? NMAX[NB_W-1:0] : cfg_nbits;
  wire [NMAX-1:0] msb_mask = {{(NMAX - 1) {1'b0}}, 1'b1} << (nbits_eff - 1'b1);

  assign dac_code = sar | mask;
  wire in_range = {1'b0, dac_code} < cfg_levels;
  wire keep = cmp && in_range;
  wire [NMAX-1:0] next_sar = keep ? dac_code : sar;
  wire [NMAX-1:0] half = cfg_levels[NMAX:1];  // levels/2 <= 2^(NMAX-1)
  assign code_s = code_u - half;

  always @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      done <= 1'b0;
      sar <= {NMAX{1'b0}};
      mask <= {NMAX{1'b0}};
      code_u <= {NMAX{1'b0}};
    end else begin
      done <= 1'b0;
      if (!busy) begin
        if (start) begin
          busy <= 1'b1;
          sar  <= {NMAX{1'b0}};
          mask <= msb_mask;
        end
      end else begin
        sar  <= next_sar;
        mask <= mask >> 1;
        if (mask[0]) begin
          busy   <= 1'b0;
          done   <= 1'b1;
          code_u <= next_sar;
        end
      end
    end
  end
endmodule

`default_nettype wire
