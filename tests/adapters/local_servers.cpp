// Loopback test servers; see local_servers.hpp. One thread, blocking accept, one request per
// connection; the destructor wakes the accept with a throw-away connection.

#include <utility>  // before Asio (Boost 1.74 awaitable.hpp needs std::exchange)

#include "tests/adapters/local_servers.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace opencloser::adapter_testing {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

template <class T, void (*Free)(T*)>
struct openssl_ptr {
  T* p;
  explicit openssl_ptr(T* raw) : p(raw) { check(p != nullptr, "allocation"); }
  ~openssl_ptr() { Free(p); }
  openssl_ptr(const openssl_ptr&) = delete;
  openssl_ptr& operator=(const openssl_ptr&) = delete;
};

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  check(X509_add_ext(cert, ext, -1) == 1, "add extension");
  X509_EXTENSION_free(ext);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

test_certificate make_self_signed_certificate(std::string_view dns_name) {
  openssl_ptr<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
  openssl_ptr<X509, X509_free> cert(X509_new());
  check(X509_set_version(cert.p, 2) == 1, "version");
  std::uint32_t serial = 0;
  check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1, "serial");
  check(
      ASN1_INTEGER_set(X509_get_serialNumber(cert.p), static_cast<long>(serial & 0x7fffffff)) == 1,
      "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.p), -3600) != nullptr, "not before");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.p), 86400) != nullptr, "not after");
  check(X509_set_pubkey(cert.p, key.p) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(cert.p);
  const std::string cn(dns_name);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                   0) == 1,
        "subject");
  check(X509_set_issuer_name(cert.p, name) == 1, "issuer");
  add_extension(cert.p, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.p, NID_subject_key_identifier, "hash");
  add_extension(cert.p, NID_subject_alt_name, "DNS:" + cn);
  check(X509_sign(cert.p, key.p, EVP_sha256()) > 0, "sign");

  test_certificate out;
  openssl_ptr<BIO, BIO_free_all> cert_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(cert_bio.p, cert.p) == 1, "PEM certificate");
  out.cert_pem = bio_text(cert_bio.p);
  openssl_ptr<BIO, BIO_free_all> key_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(key_bio.p, key.p, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM key");
  out.key_pem = bio_text(key_bio.p);
  return out;
}

struct local_server::impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::uint16_t port = acceptor.local_endpoint().port();
  std::optional<ssl::context> tls;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  canned_reply reply;
  std::vector<std::string> bodies, targets, names;
  std::thread thread;

  explicit impl(canned_reply r) : reply(std::move(r)) {}

  void start() {
    thread = std::thread([this] { serve(); });
  }

  void serve() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket(ioc);
      acceptor.accept(socket, ec);
      if (stopping) return;
      if (ec) continue;
      if (tls)
        serve_tls(std::move(socket));
      else
        answer(socket);
    }
  }

  void serve_tls(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), *tls);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) answer(stream);
    // No close_notify exchange: the response is length-delimited and the client closes.
    stream.lowest_layer().close(ec);
  }

  static int on_server_name(SSL* ssl_handle, int*, void* arg) {
    auto* self = static_cast<impl*>(arg);
    const char* sni = SSL_get_servername(ssl_handle, TLSEXT_NAMETYPE_host_name);
    std::lock_guard guard(self->mutex);
    self->names.emplace_back(sni ? sni : "");
    return SSL_TLSEXT_ERR_OK;
  }

  template <class Stream>
  void answer(Stream& stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    beast::error_code ec;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    http::response<http::string_body> response;
    {
      std::lock_guard guard(mutex);
      bodies.push_back(request.body());
      targets.emplace_back(request.target());
      response.result(static_cast<unsigned>(reply.status));
      if (!reply.content_type.empty()) response.set(http::field::content_type, reply.content_type);
      if (!reply.retry_after.empty()) response.set(http::field::retry_after, reply.retry_after);
      response.body() = reply.body;
    }
    response.version(11);
    response.keep_alive(false);
    response.prepare_payload();
    http::write(stream, response, ec);
  }

  void stop() {
    stopping = true;
    beast::error_code ec;
    tcp::socket wake(ioc);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    thread.join();
  }
};

local_server::local_server(canned_reply reply) : impl_(std::make_unique<impl>(std::move(reply))) {
  impl_->start();
}

local_server::local_server(canned_reply reply, const test_certificate& certificate)
    : impl_(std::make_unique<impl>(std::move(reply))) {
  impl_->tls.emplace(ssl::context::tls_server);
  impl_->tls->use_certificate_chain(asio::buffer(certificate.cert_pem));
  impl_->tls->use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
  // Recorded while the ClientHello is processed, i.e. before the client can see (and reject)
  // the certificate, so a test reading it after the client failed never races the server.
  SSL_CTX_set_tlsext_servername_callback(impl_->tls->native_handle(), &impl::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(impl_->tls->native_handle(), impl_.get());
  impl_->start();
}

local_server::~local_server() {
  impl_->stop();
}

std::uint16_t local_server::port() const {
  return impl_->port;
}

void local_server::set_reply(canned_reply reply) {
  std::lock_guard guard(impl_->mutex);
  impl_->reply = std::move(reply);
}

std::size_t local_server::requests() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->bodies.size();
}

std::vector<std::string> local_server::request_bodies() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->bodies;
}

std::vector<std::string> local_server::request_targets() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->targets;
}

bool local_server::wait_for_client_hellos(std::size_t n) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server_names().size() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<std::string> local_server::server_names() const {
  std::lock_guard guard(impl_->mutex);
  return impl_->names;
}

}  // namespace opencloser::adapter_testing
