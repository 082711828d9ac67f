// Bench for a board top of the model ends (hitnet_lm_uart or
// hitnet_cls_uart inside, e.g. ulx3s_lm_top): plays the host on the serial
// pins. The host's messages are NM lines of msgs.hex, {bytes to send,
// reply bytes to wait for} (16 bits each), their bytes in order in
// stim.hex: a message's bytes go back to back, then the bench waits for
// its reply bytes (none: the next message follows at once). It prints
// every byte the chip sends as "BYTE xx <cycle of its start bit>"; then
// "DONE ..." or "TIMEOUT ...". The same bench runs the RTL chip (the board
// top's source with the generated design) and the routed chip (its routed
// netlist with the cell models): board_dut.vh, written by the caller,
// instantiates the board top on clk, rx and tx. Driven by
// hitnet_verify::board::run_chip.
`timescale 1ns / 1ps
`default_nettype none
module tb_board_uart;
  parameter integer CLK_HZ = 25_000_000;
  parameter integer BAUD = 115_200;
  parameter integer NM = 1;  // messages
  parameter integer NB = 1;  // their bytes
  parameter integer LATENCY_MAX = 100_000;  // cycles allowed per reply byte beyond the serial time
  parameter integer START_WAIT = 64;  // cycles after the start before the first byte (a flash load)
  // The flash model's image (a board top with the flash store; board_dut.vh
  // instantiates sim/spi_flash.v, appended to this file, with them).
  parameter integer FLASH_OFFSET = 0;
  parameter integer FLASH_BYTES = 1;

  localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;

  reg clk = 1'b0;
  always #5 clk = !clk;
  reg rx = 1'b1;
  wire tx;
  `include "board_dut.vh"

  reg [7:0] stim[0:NB-1];
  reg [31:0] msgs[0:NM-1];
  integer received = 0;
  integer expected = 0;
  integer cycles = 0;
  always @(posedge clk) cycles <= cycles + 1;

  // Inputs change in the non-blocking region after an edge (as in
  // tb_hitnet_uart.v): no race with a routed netlist's delayed clock.
  task send_byte(input [7:0] b);
    integer k;
    begin
      rx <= 1'b0;
      repeat (CLKS_PER_BIT) @(posedge clk);
      for (k = 0; k < 8; k = k + 1) begin
        rx <= b[k];
        repeat (CLKS_PER_BIT) @(posedge clk);
      end
      rx <= 1'b1;
      repeat (CLKS_PER_BIT) @(posedge clk);
    end
  endtask

  // Host receiver, as tb_hitnet_uart.v's.
  reg [7:0] rb;
  integer m, start;
  reg tx_x_seen = 1'b0;
  reg armed = 1'b0;
  initial begin
    forever begin
      @(posedge clk);
      if (tx !== 1'b0 && tx !== 1'b1 && cycles > 16 && !tx_x_seen) begin
        $display("ERROR tx is %b at cycle %0d", tx, cycles);
        tx_x_seen = 1'b1;
      end
      if (tx === 1'b1) armed = 1'b1;
      if (armed && tx === 1'b0) begin
        armed = 1'b0;
        start = cycles;
        repeat (CLKS_PER_BIT / 2) @(posedge clk);
        if (tx !== 1'b0) $display("ERROR start bit glitch at cycle %0d", cycles);
        for (m = 0; m < 8; m = m + 1) begin
          repeat (CLKS_PER_BIT) @(posedge clk);
          rb[m] = tx;
        end
        repeat (CLKS_PER_BIT) @(posedge clk);
        if (tx !== 1'b1) $display("ERROR stop bit at cycle %0d", cycles);
        $display("BYTE %02x %0d", rb, start);
        received = received + 1;
      end
    end
  end

  integer w, b, k, timer, n;
  initial begin
    $readmemh("stim.hex", stim);
    $readmemh("msgs.hex", msgs);
    k = 0;
    repeat (4 + START_WAIT) @(posedge clk);
    for (w = 0; w < NM; w = w + 1) begin
      for (b = 0; b < msgs[w][31:16]; b = b + 1) begin
        send_byte(stim[k]);
        k = k + 1;
      end
      n = msgs[w][15:0];
      expected = expected + n;
      timer = 0;
      while (received < expected && timer < n * (LATENCY_MAX + 12 * CLKS_PER_BIT)) begin
        @(posedge clk);
        timer = timer + 1;
      end
      if (received < expected) begin
        $display("TIMEOUT message %0d received %0d cycles %0d", w, received, cycles);
        $finish;
      end
    end
    // Quiet time: a stray extra byte would show up here.
    repeat (30 * CLKS_PER_BIT) @(posedge clk);
    $display("DONE cycles %0d", cycles);
    $finish;
  end
endmodule
`default_nettype wire
