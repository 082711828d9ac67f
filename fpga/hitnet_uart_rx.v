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
  // zero is cnt == 0, registered beside it: the state machine then waits
  // on one flip-flop instead of a compare of the counter, and the next
  // count is a decrement or a reload (the UP5K's critical path ran
  // through cnt's compare, the state and the reload mux).
  reg zero;
  reg [2:0] nbit;
  wire [CW-1:0] cnt_dec = cnt - 1'b1;
  localparam ZHALF = (CLKS_PER_BIT / 2) == 0;
  localparam ZFULL = (CLKS_PER_BIT - 1) == 0;

  always @(posedge clk) begin
    valid     <= 1'b0;
    frame_err <= 1'b0;
    if (rst) begin
      state <= IDLE;
      cnt   <= 0;
      zero  <= 1'b1;
      nbit  <= 0;
      data  <= 8'd0;
    end else if (state == IDLE) begin
      // Wait half a bit from the start edge and sample the start bit in
      // its middle.
      cnt  <= HALF;
      zero <= ZHALF;
      if (!rx_s) state <= START;
    end else if (!zero) begin
      cnt  <= cnt_dec;
      zero <= cnt == 1;
    end else begin
      // Mid-bit: a full bit to the next one.
      cnt  <= FULL;
      zero <= ZFULL;
      case (state)
        START:
        if (!rx_s) begin
          state <= DATA;
          nbit  <= 3'd0;
        end else state <= IDLE;  // a glitch, not a start bit
        DATA: begin
          data <= {rx_s, data[7:1]};
          nbit <= nbit + 1'b1;
          if (nbit == 3'd7) state <= STOP;
        end
        default: begin  // STOP: then back to IDLE to catch the next start edge early
          valid     <= rx_s;
          frame_err <= !rx_s;
          state     <= IDLE;
        end
      endcase
    end
  end
endmodule
`default_nettype wire
