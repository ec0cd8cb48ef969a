/*
 * The 16550 UART at COM1 (0x3F8): the first thing the hypervisor brings up, so every
 * later stage can say what it is doing. 115200 8N1, polled, no interrupts.
 */
#include "console.h"
#include "x86.h"

#define COM1 0x3F8

void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB on */
    outb(COM1 + 0, 0x01);   /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8 bits, no parity, 1 stop, DLAB off */
    outb(COM1 + 2, 0xC7);   /* FIFOs on and cleared */
    outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

void serial_putc(char c)
{
    if (c == '\n')
        serial_putc('\r');
    for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    while (n--)
        serial_putc(*s++);
}

int serial_getc_nonblock(void)
{
    if (!(inb(COM1 + 5) & 0x01))
        return -1;
    return inb(COM1);
}
