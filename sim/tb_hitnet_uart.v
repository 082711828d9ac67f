// Co-simulation bench for hitnet_uart: plays the host. Reads the host's bytes
// from stim.hex (TOKENS tokens of 1 + ceil(I/4) bytes), sends them over the
// serial line one token at a time, waits for each reply, and prints every
// byte the device sends as "BYTE xx <cycle of its start bit>"; then "DONE ..."
// or "TIMEOUT ...".
// Driven by hitnet_fpga::cosim (Rust); runs by hand with iverilog, see
// fpga/README.md.
`default_nettype none
module tb_hitnet_uart;
  parameter integer CLK_HZ = 1_000_000;
  parameter integer BAUD = 125_000;
  parameter integer I = 10;
  parameter integer H = 7;
  parameter integer LAYERS = 2;
  parameter integer IN_TRITS = 3;
  parameter integer OUT_TRITS = 3;
  parameter integer LAYER_BITS = 1;
  parameter integer ALL_LAYERS = 0;
  parameter integer RX_FIFO_LOG2 = 4;
  parameter integer TOKENS = 1;
  parameter integer LATENCY_MAX = 100_000;  // cycles allowed per token beyond the serial time
  parameter integer START_WAIT = 4;  // cycles after reset before the first byte

  localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;
  localparam integer TOKEN_BYTES = 1 + (I + 3) / 4;
  localparam integer REPLY_BYTES = ((H + 3) / 4) * (ALL_LAYERS != 0 ? LAYERS : 1);
  localparam integer TIMEOUT = LATENCY_MAX + 12 * CLKS_PER_BIT * (REPLY_BYTES + 2);

  reg clk = 1'b0;
  always #5 clk = !clk;
  reg rst = 1'b1;
  reg rx = 1'b1;
  wire tx, rx_error, busy, acc_idle;

`ifdef HITNET_BOARD_DUT
  // A whole board top (its own power-on reset; rst, rx_error, busy and
  // acc_idle unused): board_dut.vh, written by the caller, instantiates it
  // on clk, rx and tx, e.g. the routed netlist (hitnet verify --stage routed).
  `include "board_dut.vh"
  assign {rx_error, busy, acc_idle} = 3'b000;
`else
  hitnet_uart #(
      .CLK_HZ(CLK_HZ),
      .BAUD(BAUD),
      .I(I),
      .H(H),
      .LAYERS(LAYERS),
      .IN_TRITS(IN_TRITS),
      .OUT_TRITS(OUT_TRITS),
      .LAYER_BITS(LAYER_BITS),
      .ALL_LAYERS(ALL_LAYERS),
      .RX_FIFO_LOG2(RX_FIFO_LOG2)
  ) dut (
      .clk(clk),
      .rst(rst),
      .uart_rx(rx),
      .uart_tx(tx),
      .rx_error(rx_error),
      .busy(busy),
      .acc_idle(acc_idle)
  );
`endif

  reg [7:0] stim[0:TOKENS*TOKEN_BYTES-1];
  integer received = 0;
  integer cycles = 0;
  always @(posedge clk) cycles <= cycles + 1;

  // Bench inputs change in the non-blocking region after a clock edge, so
  // every design samples them at the next edge however many delta cycles
  // its clock takes to arrive (a routed netlist's clock passes I/O and
  // buffer cells): no race between bench and design.
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

  // Host receiver: samples tx right after each clock edge (its value
  // before the edge, like a flip-flop, so the cycle a start bit is seen is
  // the same whatever delta cycles the design's output path takes); a start
  // bit is a fall from the idle high level; each bit sampled in its middle.
  reg [7:0] rb;
  integer m, start;
  reg tx_x_seen = 1'b0;
  reg armed = 1'b0;
  initial begin
    forever begin
      @(posedge clk);
      if (tx !== 1'b0 && tx !== 1'b1 && !rst && !tx_x_seen) begin
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

  integer t, b, timer;
  initial begin
    $readmemh("stim.hex", stim);
    repeat (4) @(posedge clk);
    rst <= 1'b0;
    repeat (START_WAIT) @(posedge clk);
    for (t = 0; t < TOKENS; t = t + 1) begin
      for (b = 0; b < TOKEN_BYTES; b = b + 1) send_byte(stim[t*TOKEN_BYTES+b]);
      timer = 0;
      while (received < (t + 1) * REPLY_BYTES && timer < TIMEOUT) begin
        @(posedge clk);
        timer = timer + 1;
      end
      if (received < (t + 1) * REPLY_BYTES) begin
        $display("TIMEOUT token %0d received %0d cycles %0d", t, received, cycles);
        $finish;
      end
    end
    // Quiet time: a stray extra byte would show up here.
    repeat (30 * CLKS_PER_BIT) @(posedge clk);
    $display("DONE cycles %0d rx_error %0d busy %0d", cycles, rx_error, busy);
    $finish;
  end
endmodule
`default_nettype wire
