/*
 * DynamoDB Local has no option for its listen address: Jetty binds every interface.
 * Preloaded into its JVM, this turns a bind to the IPv4 wildcard into a bind to 127.0.0.1,
 * so nothing Groundwork starts is reachable from off the machine. (The JVM runs with
 * -Djava.net.preferIPv4Stack=true, so every socket it binds is AF_INET.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn real_bind;
  if (!real_bind) real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in loopback;
    memcpy(&loopback, addr, sizeof loopback);
    if (loopback.sin_addr.s_addr == htonl(INADDR_ANY)) {
      loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      return real_bind(fd, (const struct sockaddr *)&loopback, sizeof loopback);
    }
  }
  return real_bind(fd, addr, len);
}
