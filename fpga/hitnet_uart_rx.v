// UART receiver, 8N1, LSB first. One `valid` pulse per byte with a good stop
// bit; `frame_err` pulses instead when the stop bit reads 0 (byte dropped).
`default_nettype none
module hitnet_uart_rx #(
    parameter integer CLKS_PER_BIT = 104  // clock cycles per bit: round(CLK_HZ / BAUD)
) (
    input  wire       clk,
    input  wire       rst,        // synchronous, active high
    input  wire       rx,         // serial line, idles high
    output reg  [7:0] data,
    output reg        valid,
    output reg        frame_err
);
  localparam integer CW = $clog2(CLKS_PER_BIT + 1);
  // Counter reload values, cut to the counter width without a width warning.
  localparam [31:0] HALF32 = CLKS_PER_BIT / 2;
  localparam [31:0] FULL32 = CLKS_PER_BIT - 1;
  localparam [CW-1:0] HALF = HALF32[CW-1:0];
  localparam [CW-1:0] FULL = FULL32[CW-1:0];
  localparam [1:0] IDLE = 2'd0, START = 2'd1, DATA = 2'd2, STOP = 2'd3;

  // Two flip-flops bring the asynchronous line into the clock domain.
  reg rx_meta, rx_s;  // no reset: a false start after power-up is rejected in START
  always @(posedge clk) begin
    rx_meta <= rx;
    rx_s    <= rx_meta;
  end

  reg [1:0] state;
  reg [CW-1:0] cnt;
  reg [2:0] nbit;

  always @(posedge clk) begin
    valid     <= 1'b0;
    frame_err <= 1'b0;
    if (rst) begin
      state <= IDLE;
      cnt   <= 0;
      nbit  <= 0;
      data  <= 8'd0;
    end else begin
      case (state)
        IDLE:
        if (!rx_s) begin
          // Wait half a bit and sample the start bit in its middle.
          state <= START;
          cnt   <= HALF;
        end
        START:
        if (cnt != 0) cnt <= cnt - 1'b1;
        else if (!rx_s) begin
          state <= DATA;
          cnt   <= FULL;
          nbit  <= 3'd0;
        end else state <= IDLE;  // a glitch, not a start bit
        DATA:
        if (cnt != 0) cnt <= cnt - 1'b1;
        else begin
          data <= {rx_s, data[7:1]};
          cnt  <= FULL;
          nbit <= nbit + 1'b1;
          if (nbit == 3'd7) state <= STOP;
        end
        STOP:  // sampled mid-bit, then back to IDLE to catch the next start edge early
        if (cnt != 0) cnt <= cnt - 1'b1;
        else begin
          valid     <= rx_s;
          frame_err <= !rx_s;
          state     <= IDLE;
        end
      endcase
    end
  end
endmodule
`default_nettype wire
