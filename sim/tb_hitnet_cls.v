// Frame bench for hitnet_cls (the sequence-classifier ends around
// hitnet_top): offers frame words on the s_* port and takes classes on the
// m_* port by per-cycle patterns, and prints every class with its cycle.
// The same bench judges the generated RTL and the synthesized netlist
// (Icarus with the vendor cell models, or Verilator for RTL) against the
// cycle simulator (crates/hitnet-sim/src/cls.rs) and the golden model.
//
// Inputs, written into the working folder:
//   frames.hex one line per frame: {s_last, s_first, s_data (FW bits)}
//   pat.hex    one line per cycle: {s_valid pattern, m_ready pattern} (2 bits)
// Output lines on stdout:
//   C <cycle> <class> <score>  a taken class and its logit (x if unknown)
//   A <cycle> <frame>          a frame accepted
//   X <cycle> <signal>         a control output is x or z
//   END <cycle> <classes>      EXPECT classes seen
//   HUNG <cycle> <classes>     MAX_IDLE cycles without a class
// With CLS_FLASH defined (the flash store) the design's SPI pins go to the
// flash model of sim/spi_flash.v (compiled with this file), which holds
// lm_flash.hex at FLASH_OFFSET.
`timescale 1ns / 1ps
`default_nettype none
module tb_hitnet_cls;
  parameter integer FW = 16;      // frame bits
  parameter integer CW = 1;       // class bits
  parameter integer SW = 2;       // score bits
  parameter integer NF = 1;       // frames in frames.hex
  parameter integer NCYC = 1;     // cycles in pat.hex (patterns are 0 past the end)
  parameter integer EXPECT = 1;   // classes to wait for
  parameter integer MAX_IDLE = 100000;
  parameter integer FLASH_OFFSET = 0;
  parameter integer FLASH_BYTES = 1;

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg s_valid = 1'b0;
  reg [FW-1:0] s_data = {FW{1'b0}};
  reg s_first = 1'b0;
  reg s_last = 1'b0;
  reg m_ready = 1'b0;
  wire s_ready, m_valid, idle;
  wire [CW-1:0] m_class;
  wire [SW-1:0] m_score;

`ifdef CLS_FLASH
  wire spi_cs_n, spi_sck, spi_mosi, spi_miso;
  hitnet_spi_flash #(
      .OFFSET(FLASH_OFFSET),
      .BYTES (FLASH_BYTES)
  ) flash (
      .cs_n(spi_cs_n),
      .sck (spi_sck),
      .mosi(spi_mosi),
      .miso(spi_miso)
  );
`endif
  hitnet_cls dut (
      .clk(clk),
      .rst(rst),
      .s_valid(s_valid),
      .s_ready(s_ready),
      .s_data(s_data),
      .s_first(s_first),
      .s_last(s_last),
      .m_valid(m_valid),
      .m_ready(m_ready),
      .m_class(m_class),
      .m_score(m_score),
`ifdef CLS_FLASH
      .spi_cs_n(spi_cs_n),
      .spi_sck(spi_sck),
      .spi_mosi(spi_mosi),
      .spi_miso(spi_miso),
`endif
      .idle(idle)
  );

  reg [FW+1:0] frames[0:NF-1];
  reg [1:0] pat[0:NCYC-1];
  integer cycle = 0;
  integer k = 0;       // next frame
  integer got = 0;
  integer last_out = 0;
  reg [1:0] pc;

  initial begin
    $readmemh("frames.hex", frames);
    $readmemh("pat.hex", pat);
    // Two reset cycles, as the stream bench.
    repeat (2) begin
      #5 clk = 1'b1;
      #5 clk = 1'b0;
    end
    rst = 1'b0;
    forever begin
      pc = (cycle < NCYC) ? pat[cycle] : 2'b00;
      s_valid = (k < NF) && pc[1];
      s_last = (k < NF) ? frames[k][FW+1] : 1'b0;
      s_first = (k < NF) ? frames[k][FW] : 1'b0;
      s_data = (k < NF) ? frames[k][FW-1:0] : {FW{1'b0}};
      m_ready = pc[0];
      #4;
      if (^{s_ready, m_valid} === 1'bx) $display("X %0d s_ready/m_valid", cycle);
      if (s_valid && s_ready) begin
        $display("A %0d %0d", cycle, k);
        k = k + 1;
      end
      if (m_valid && m_ready) begin
        if (^{m_class, m_score} === 1'bx) $display("C %0d x x", cycle);
        else $display("C %0d %0d %0d", cycle, m_class, $signed(m_score));
        got = got + 1;
        last_out = cycle;
      end
      #1 clk = 1'b1;
      #5 clk = 1'b0;
      cycle = cycle + 1;
      if (got >= EXPECT) begin
        $display("END %0d %0d", cycle, got);
        $finish;
      end
      if (cycle - last_out > MAX_IDLE) begin
        $display("HUNG %0d %0d", cycle, got);
        $finish;
      end
    end
  end
endmodule
`default_nettype wire
