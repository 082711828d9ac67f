// SPI NOR flash model (mode 0) for the benches of the flash store
// (hitnet_lm's loader, docs/architecture.md "Model ends on the chip"):
// release from power-down (0xAB) and READ (0x03, a 24-bit address, then
// data MSB first, shifted out on the falling edge of SCK). It holds BYTES
// bytes of lm_flash.hex (one per line, from the working folder) at
// OFFSET; anything else reads 0xff, as erased flash. Prints
//   FLASH <command>   a command other than 0xAB or 0x03
`default_nettype none
module hitnet_spi_flash #(
    parameter integer OFFSET = 0,
    parameter integer BYTES  = 1
) (
    input  wire cs_n,
    input  wire sck,
    input  wire mosi,
    output reg  miso
);
  reg [7:0] mem[0:BYTES-1];
  initial $readmemh("lm_flash.hex", mem);
  initial miso = 1'b0;
  integer n = 0;  // rising edges since the select
  integer a;
  reg [31:0] hdr = 32'd0;
  always @(negedge cs_n) n = 0;
  always @(posedge sck)
    if (!cs_n) begin
      if (n < 32) hdr = {hdr[30:0], mosi};
      n = n + 1;
      if (n == 8 && hdr[7:0] != 8'h03 && hdr[7:0] != 8'hab) $display("FLASH %02x", hdr[7:0]);
    end
  always @(negedge sck)
    if (!cs_n && n >= 32 && hdr[31:24] == 8'h03) begin
      a = hdr[23:0] + (n - 32) / 8;
      miso <= (a >= OFFSET && a < OFFSET + BYTES) ? mem[a-OFFSET][7-(n-32)%8] : 1'b1;
    end
endmodule
`default_nettype wire
