// Token bench for hitnet_lm (the language-model ends around hitnet_top):
// offers token words on the s_* port and takes chosen tokens on the m_*
// port by per-cycle patterns, and prints every token with its cycle. The
// same bench judges the generated RTL, the synthesized and the routed
// netlists (Icarus, four-state, with the vendor cell models), against the
// cycle simulator (crates/hitnet-sim/src/lm.rs) and the golden model.
//
// Inputs, written into the working folder:
//   words.hex  one line per word: {s_first, s_feed (16 bits), s_token (TW bits)}
//   pat.hex    one line per cycle: {s_valid pattern, m_ready pattern} (2 bits)
// Output lines on stdout:
//   T <cycle> <token> <last>   a taken token (x if unknown)
//   A <cycle> <word>           a word accepted
//   X <cycle> <signal>         a control output is x or z
//   END <cycle> <tokens>       EXPECT tokens seen
//   HUNG <cycle> <tokens>      MAX_IDLE cycles without a token
// With LM_FLASH defined (the flash store) the design's SPI pins go to the
// flash model of sim/spi_flash.v (compiled with this file), which holds
// lm_flash.hex at FLASH_OFFSET.
`timescale 1ns / 1ps
`default_nettype none
module tb_hitnet_lm;
  parameter integer TW = 1;       // token bits
  parameter integer NW = 1;       // words in words.hex
  parameter integer NCYC = 1;     // cycles in pat.hex (patterns are 0 past the end)
  parameter integer EXPECT = 1;   // tokens to wait for
  parameter integer MAX_IDLE = 100000;
  parameter integer FLASH_OFFSET = 0;
  parameter integer FLASH_BYTES = 1;

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg s_valid = 1'b0;
  reg [TW-1:0] s_token = {TW{1'b0}};
  reg s_first = 1'b0;
  reg [15:0] s_feed = 16'd0;
  reg m_ready = 1'b0;
  wire s_ready, m_valid, m_last, idle;
  wire [TW-1:0] m_token;

`ifdef LM_FLASH
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
  hitnet_lm dut (
      .clk(clk),
      .rst(rst),
      .s_valid(s_valid),
      .s_ready(s_ready),
      .s_token(s_token),
      .s_first(s_first),
      .s_feed(s_feed),
      .m_valid(m_valid),
      .m_ready(m_ready),
      .m_token(m_token),
      .m_last(m_last),
`ifdef LM_FLASH
      .spi_cs_n(spi_cs_n),
      .spi_sck(spi_sck),
      .spi_mosi(spi_mosi),
      .spi_miso(spi_miso),
`endif
      .idle(idle)
  );

  reg [TW+16:0] words[0:NW-1];
  reg [1:0] pat[0:NCYC-1];
  integer cycle = 0;
  integer iw = 0;      // next word
  integer toks = 0;
  integer last_out = 0;
  reg [1:0] pc;

  initial begin
    $readmemh("words.hex", words);
    $readmemh("pat.hex", pat);
    // Two reset cycles, as the stream bench.
    repeat (2) begin
      #5 clk = 1'b1;
      #5 clk = 1'b0;
    end
    rst = 1'b0;
    forever begin
      pc = (cycle < NCYC) ? pat[cycle] : 2'b00;
      s_valid = (iw < NW) && pc[1];
      s_first = (iw < NW) ? words[iw][TW+16] : 1'b0;
      s_feed = (iw < NW) ? words[iw][TW+15:TW] : 16'd0;
      s_token = (iw < NW) ? words[iw][TW-1:0] : {TW{1'b0}};
      m_ready = pc[0];
      #4;
      if (^{s_ready, m_valid} === 1'bx) $display("X %0d s_ready/m_valid", cycle);
      if (s_valid && s_ready) begin
        $display("A %0d %0d", cycle, iw);
        iw = iw + 1;
      end
      if (m_valid && m_ready) begin
        if (^{m_token, m_last} === 1'bx) $display("X %0d m_token/m_last", cycle);
        $display("T %0d %0d %0d", cycle, m_token, m_last);
        toks = toks + 1;
        last_out = cycle;
      end
      #1 clk = 1'b1;
      #5 clk = 1'b0;
      cycle = cycle + 1;
      if (toks >= EXPECT) begin
        $display("END %0d %0d", cycle, toks);
        $finish;
      end
      if (cycle - last_out > MAX_IDLE) begin
        $display("HUNG %0d %0d", cycle, toks);
        $finish;
      end
    end
  end
endmodule
`default_nettype wire
