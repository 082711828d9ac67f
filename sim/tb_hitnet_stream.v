// Stream bench for hitnet_top: drives the s_* port and m_ready exactly as the
// Verilator harness (crates/hitnet-cosim/src/rtl.rs) does, cycle by cycle,
// and prints every accepted output beat with its cycle. Used by
// `hitnet verify` on synthesized and routed netlists (simulated four-state
// in Icarus with the vendor cell models), so an undriven (x) net shows.
//
// Inputs, written by hitnet-verify into the working folder:
//   in.hex   one line per input beat: {s_first, s_data} (1 + SW bits)
//   pat.hex  one line per cycle: {s_valid pattern, m_ready pattern} (2 bits)
// Output lines on stdout:
//   B <cycle> <layer> <last> <m_data bits>  an accepted beat, MSB first (x/z if unknown)
//   X <cycle> <signal>                      a control output is x or z
//   END <cycle> <beats>                     all EXPECT beats seen
//   HUNG <cycle> <beats>                    MAX_IDLE cycles without a beat
`timescale 1ns / 1ps
`default_nettype none
module tb_hitnet_stream;
  parameter integer SW = 2;       // s_data bits
  parameter integer MW = 2;       // m_data bits
  parameter integer LW = 1;       // m_layer bits
  parameter integer NIN = 1;      // input beats in in.hex
  parameter integer NCYC = 1;     // cycles in pat.hex (patterns are 0 past the end)
  parameter integer EXPECT = 1;   // output beats to wait for
  parameter integer MAX_IDLE = 1000;
  parameter integer VCD_FROM = -1;  // dump a VCD (tb.vcd) from this cycle on; -1: none
  parameter integer VCD_TO = -1;

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg s_valid = 1'b0;
  reg [SW-1:0] s_data = {SW{1'b0}};
  reg s_first = 1'b0;
  reg m_ready = 1'b0;
  wire s_ready, m_valid, m_last, idle;
  wire [MW-1:0] m_data;
  wire [LW-1:0] m_layer;

  hitnet_top dut (
      .clk(clk),
      .rst(rst),
      .s_valid(s_valid),
      .s_data(s_data),
      .s_first(s_first),
      .m_ready(m_ready),
      .s_ready(s_ready),
      .m_valid(m_valid),
      .m_data(m_data),
      .m_layer(m_layer),
      .m_last(m_last),
      .idle(idle)
  );

  reg [SW:0] stim[0:NIN-1];
  reg [1:0] pat[0:NCYC-1];
  integer cycle = 0;
  integer ib = 0;      // next input beat
  integer beats = 0;
  integer last_out = 0;
  reg [1:0] pc;

  initial begin
    $readmemh("in.hex", stim);
    $readmemh("pat.hex", pat);
    // Two reset cycles, as the Verilator harness.
    repeat (2) begin
      #5 clk = 1'b1;
      #5 clk = 1'b0;
    end
    rst = 1'b0;
    forever begin
      pc = (cycle < NCYC) ? pat[cycle] : 2'b00;
      s_valid = (ib < NIN) && pc[1];
      s_first = (ib < NIN) ? stim[ib][SW] : 1'b0;
      s_data = (ib < NIN) ? stim[ib][SW-1:0] : {SW{1'b0}};
      m_ready = pc[0];
      #4;
      if (^{s_ready, m_valid} === 1'bx) $display("X %0d s_ready/m_valid", cycle);
      if (s_valid && s_ready) ib = ib + 1;
      if (m_valid && m_ready) begin
        if (^{m_layer, m_last} === 1'bx) $display("X %0d m_layer/m_last", cycle);
        $display("B %0d %0d %0d %b", cycle, m_layer, m_last, m_data);
        beats = beats + 1;
        last_out = cycle;
      end
      if (VCD_FROM >= 0 && cycle == VCD_FROM) begin
        $dumpfile("tb.vcd");
        $dumpvars(0, tb_hitnet_stream);
      end
      if (VCD_TO >= 0 && cycle == VCD_TO) $dumpoff;
      #1 clk = 1'b1;
      #5 clk = 1'b0;
      cycle = cycle + 1;
      if (beats >= EXPECT) begin
        $display("END %0d %0d", cycle, beats);
        $finish;
      end
      if (cycle - last_out > MAX_IDLE) begin
        $display("HUNG %0d %0d", cycle, beats);
        $finish;
      end
    end
  end
endmodule
`default_nettype wire
