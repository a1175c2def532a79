// memtile_tile_ctrl -- tile controller FSM (docs/rtl.md).
//
// Sequences one tile operation: optionally program every (row partition, weight slice)
// array, then for each row partition: clear the shift-add lanes, and for each input slice
// drive the DACs, for each weight slice read the array, and for each of the cfg_mux columns
// sharing an ADC convert and shift-add; then add the partition's partial sums into the
// accumulator (one lane per column); finally optionally run the activation. Analog and
// timed steps are request/acknowledge handshakes (req held high until ack is seen at a
// clock edge); the ADC is started with a one-cycle adc_start and waited for with adc_done.
// `done` rises when the operation completes and stays high until the next start; the
// SystemC side turns it into completion. The slice table (written through tab_*) gives, per
// input and weight slice, its level count, bit position and sign, from which the controller
// drives the shift-add's mult / shift / neg. Counts of 0 act as 1; slice counts above MAXS
// act as MAXS. Reference model: memtile::core::rtlref::TileControllerModel.
`timescale 1ns / 1ps
`default_nettype none

module memtile_tile_ctrl #(
    parameter integer MAXS   = 16,  // slice table entries per operand
    parameter integer IDX_W  = 4,   // slice index width (2^IDX_W >= MAXS)
    parameter integer PART_W = 16,  // row partition count / index width
    parameter integer MUX_W  = 8    // ADC mux ratio / lane index width
) (
    input wire clk,
    input wire rst_n,  // synchronous, active low

    // configuration, held stable while busy
    input wire [  IDX_W:0] cfg_n_x,       // input slices
    input wire [  IDX_W:0] cfg_n_w,       // weight slices
    input wire [PART_W-1:0] cfg_n_parts,  // row partitions
    input wire [ MUX_W-1:0] cfg_mux,      // columns per ADC
    input wire              cfg_program,  // sampled at start: program the arrays first
    input wire              cfg_compute,  // sampled at start: run the MVM
    input wire              cfg_activate, // sampled at start: run the activation last

    // slice table write port
    input wire             tab_we,
    input wire             tab_sel,    // 0: input slices, 1: weight slices
    input wire [IDX_W-1:0] tab_idx,
    input wire [     15:0] tab_lmax,   // levels_max of the slice (2^bits - 1, or the DAC qmax)
    input wire [      5:0] tab_shift,  // bit position of the slice's LSB
    input wire             tab_neg,    // negative weight (MSB sign bit / sign slice)

    input wire start,
    input wire prog_ack,
    input wire dac_ack,
    input wire read_ack,
    input wire adc_done,
    input wire act_ack,

    output reg  [       3:0] state,
    output wire              busy,
    output reg               done,
    output wire              prog_req,
    output wire              dac_req,
    output wire              read_req,
    output wire              adc_start,
    output wire              act_req,
    output wire              sa_clear,
    output wire              sa_valid,
    output wire [      31:0] sa_mult,   // Lx_i * Lw_j
    output wire [       6:0] sa_shift,  // shift_i + shift_j
    output wire              sa_neg,    // neg_i xor neg_j
    output wire              acc_clear,
    output wire              acc_valid,
    output reg  [PART_W-1:0] part_idx,
    output reg  [ IDX_W-1:0] xs_idx,
    output reg  [ IDX_W-1:0] ws_idx,
    output reg  [ MUX_W-1:0] mux_idx    // lane of the shift-add and of the accumulator
);
  localparam [3:0] S_IDLE = 4'd0, S_PROG = 4'd1, S_CLEAR = 4'd2, S_DAC = 4'd3, S_READ = 4'd4,
                   S_CONV = 4'd5, S_WAIT = 4'd6, S_SADD = 4'd7, S_PSUM = 4'd8, S_ACT = 4'd9;

  // Level counts are 16-bit values kept in 32-bit registers: Verilator 5.006 emits a 16x16-bit
  // product as a C++ int multiplication (signed overflow, UBSan); 32x32 bits is unsigned.
  reg [31:0] x_lmax[0:MAXS-1];
  reg [31:0] w_lmax[0:MAXS-1];
  reg [ 5:0] x_shift[0:MAXS-1];
  reg [ 5:0] w_shift[0:MAXS-1];
  reg [MAXS-1:0] x_neg;
  reg [MAXS-1:0] w_neg;
  reg do_compute, do_activate;

  wire [31:0] x32 = {{(32 - IDX_W) {1'b0}}, xs_idx};
  wire [31:0] w32 = {{(32 - IDX_W) {1'b0}}, ws_idx};
  // Last iteration of each loop (a count of 0 acts as 1).
  wire last_x = ({1'b0, xs_idx} + 1'b1 >= cfg_n_x) || (x32 == MAXS - 1);
  wire last_w = ({1'b0, ws_idx} + 1'b1 >= cfg_n_w) || (w32 == MAXS - 1);
  wire last_p = ({1'b0, part_idx} + 1'b1 >= {1'b0, cfg_n_parts});
  wire last_m = ({1'b0, mux_idx} + 1'b1 >= {1'b0, cfg_mux});

  wire xs_ok = x32 < MAXS;
  wire ws_ok = w32 < MAXS;
  wire [31:0] lx = xs_ok ? x_lmax[xs_idx] : 32'd0;
  wire [31:0] lw = ws_ok ? w_lmax[ws_idx] : 32'd0;
  wire [5:0] sx = xs_ok ? x_shift[xs_idx] : 6'd0;
  wire [5:0] sw = ws_ok ? w_shift[ws_idx] : 6'd0;
  assign sa_mult  = lx * lw;  // both < 2^16: exact
  assign sa_shift = {1'b0, sx} + {1'b0, sw};
  assign sa_neg   = (xs_ok & x_neg[xs_idx]) ^ (ws_ok & w_neg[ws_idx]);

  assign busy      = state != S_IDLE;
  assign prog_req  = state == S_PROG;
  assign dac_req   = state == S_DAC;
  assign read_req  = state == S_READ;
  assign adc_start = state == S_CONV;
  assign act_req   = state == S_ACT;
  assign sa_clear  = state == S_CLEAR;
  assign sa_valid  = state == S_SADD;
  assign acc_clear = state == S_CLEAR && part_idx == {PART_W{1'b0}};
  assign acc_valid = state == S_PSUM;

  integer k;
  always @(posedge clk) begin
    if (!rst_n) begin
      for (k = 0; k < MAXS; k = k + 1) begin
        x_lmax[k]  <= 32'd0;
        w_lmax[k]  <= 32'd0;
        x_shift[k] <= 6'd0;
        w_shift[k] <= 6'd0;
      end
      x_neg <= {MAXS{1'b0}};
      w_neg <= {MAXS{1'b0}};
    end else if (tab_we && {{(32 - IDX_W) {1'b0}}, tab_idx} < MAXS) begin
      if (tab_sel) begin
        w_lmax[tab_idx]  <= {16'd0, tab_lmax};
        w_shift[tab_idx] <= tab_shift;
        w_neg[tab_idx]   <= tab_neg;
      end else begin
        x_lmax[tab_idx]  <= {16'd0, tab_lmax};
        x_shift[tab_idx] <= tab_shift;
        x_neg[tab_idx]   <= tab_neg;
      end
    end
  end

  // The state after programming / after the MVM.
  wire [3:0] after_prog = do_compute ? S_CLEAR : (do_activate ? S_ACT : S_IDLE);
  wire [3:0] after_mvm = do_activate ? S_ACT : S_IDLE;

  always @(posedge clk) begin
    if (!rst_n) begin
      state <= S_IDLE;
      done <= 1'b0;
      do_compute <= 1'b0;
      do_activate <= 1'b0;
      part_idx <= {PART_W{1'b0}};
      xs_idx <= {IDX_W{1'b0}};
      ws_idx <= {IDX_W{1'b0}};
      mux_idx <= {MUX_W{1'b0}};
    end else begin
      case (state)
        S_IDLE:
        if (start) begin
          done <= 1'b0;
          do_compute <= cfg_compute;
          do_activate <= cfg_activate;
          part_idx <= {PART_W{1'b0}};
          xs_idx <= {IDX_W{1'b0}};
          ws_idx <= {IDX_W{1'b0}};
          mux_idx <= {MUX_W{1'b0}};
          if (cfg_program) state <= S_PROG;
          else if (cfg_compute) state <= S_CLEAR;
          else if (cfg_activate) state <= S_ACT;
          else done <= 1'b1;  // nothing to do
        end
        S_PROG:
        if (prog_ack) begin
          if (!last_w) ws_idx <= ws_idx + 1'b1;
          else begin
            ws_idx <= {IDX_W{1'b0}};
            if (!last_p) part_idx <= part_idx + 1'b1;
            else begin
              part_idx <= {PART_W{1'b0}};
              state <= after_prog;
              if (after_prog == S_IDLE) done <= 1'b1;
            end
          end
        end
        S_CLEAR: state <= S_DAC;
        S_DAC: if (dac_ack) state <= S_READ;
        S_READ: if (read_ack) state <= S_CONV;
        S_CONV: state <= S_WAIT;
        S_WAIT: if (adc_done) state <= S_SADD;
        S_SADD: begin
          if (!last_m) begin
            mux_idx <= mux_idx + 1'b1;
            state <= S_CONV;
          end else begin
            mux_idx <= {MUX_W{1'b0}};
            if (!last_w) begin
              ws_idx <= ws_idx + 1'b1;
              state <= S_READ;
            end else begin
              ws_idx <= {IDX_W{1'b0}};
              if (!last_x) begin
                xs_idx <= xs_idx + 1'b1;
                state <= S_DAC;
              end else begin
                xs_idx <= {IDX_W{1'b0}};
                state <= S_PSUM;
              end
            end
          end
        end
        S_PSUM:
        if (!last_m) mux_idx <= mux_idx + 1'b1;
        else begin
          mux_idx <= {MUX_W{1'b0}};
          if (!last_p) begin
            part_idx <= part_idx + 1'b1;
            state <= S_CLEAR;
          end else begin
            part_idx <= {PART_W{1'b0}};
            state <= after_mvm;
            if (after_mvm == S_IDLE) done <= 1'b1;
          end
        end
        S_ACT:
        if (act_ack) begin
          state <= S_IDLE;
          done <= 1'b1;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule

`default_nettype wire
