/*
 * vsnprintf/snprintf for the guests: %s %c %d %i %u %x %X %p %%, the length modifiers
 * l, ll and z, a field width (digits or *), the '0' (zero-pad) and '-' (left-align)
 * flags, and a precision for %s only (%.32s: at most 32 bytes). Output is always NUL-terminated when size > 0; the return value is the length
 * the full output would have had, as in C99. Pure code: no guest state is touched.
 */
#include "lib.h"

struct out {
    char *buf;
    size_t size;
    size_t len;             /* characters produced so far, stored or not */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

/* Emit s[0..n) padded to width, honouring '-' (left) and '0' (zeros after the sign). */
static void put_field(struct out *o, const char *s, size_t n, int width, bool left,
                      bool zero)
{
    size_t pad = width > 0 && (size_t)width > n ? (size_t)width - n : 0;

    if (zero && !left && n && (s[0] == '-')) {
        put(o, *s++);
        n--;
    }
    if (!left)
        while (pad--)
            put(o, zero ? '0' : ' ');
    while (n--)
        put(o, *s++);
    if (left)
        while (pad--)
            put(o, ' ');
}

/* Format v in base 10 or 16 into the end of tmp; returns the first character. */
static char *format_number(char *end, unsigned long long v, unsigned int base, bool upper,
                           bool negative)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    if (negative)
        *--p = '-';
    return p;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        char tmp[24], *start, *end = tmp + sizeof(tmp);
        bool left = false, zero = false;
        int width = 0, lng = 0, prec = -1;
        unsigned long long v;

        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) {                        /* flags */
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                zero = true;
            else
                break;
        }
        if (*fmt == '*') {                      /* width */
            width = va_arg(ap, int);
            if (width < 0) {
                left = true;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {                      /* precision */
            fmt++;
            prec = 0;
            while (*fmt >= '0' && *fmt <= '9')
                prec = prec * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l' || *fmt == 'z') {    /* length: l, ll, z */
            lng++;
            fmt++;
        }

        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);

            if (!s)
                s = "(null)";
            put_field(&o, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s), width, left,
                      false);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_field(&o, tmp, 1, width, left, false);
            break;
        case 'd':
        case 'i': {
            long long sv = lng ? va_arg(ap, long long) : va_arg(ap, int);
            bool neg = sv < 0;

            v = neg ? 0ULL - (unsigned long long)sv : (unsigned long long)sv;
            start = format_number(end, v, 10, false, neg);
            put_field(&o, start, (size_t)(end - start), width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            start = format_number(end, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false);
            put_field(&o, start, (size_t)(end - start), width, left, zero);
            break;
        case 'p':
            v = (unsigned long long)(uintptr_t)va_arg(ap, void *);
            start = format_number(end, v, 16, false, false);
            *--start = 'x';
            *--start = '0';
            put_field(&o, start, (size_t)(end - start), width, left, false);
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':                              /* lone '%' at the end */
            fmt--;
            break;
        default:                                /* unknown: print it as written */
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
