// Payments, reservations and refunds of the PostgreSQL storage.
#include "postgres/postgres_storage_impl.h"

namespace watchstore::internal::pg {

absl::StatusOr<Order> PostgresStorage::GetOrderByAccessToken(absl::string_view) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<Order> PostgresStorage::GetOrderByPaymentReference(absl::string_view,
                                                                  absl::string_view) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<int64_t> PostgresStorage::ClaimGuestOrders(absl::string_view, UserId) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<Order> PostgresStorage::AttachPayment(OrderId, const ProviderPayment&) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<PaymentUpdateResult> PostgresStorage::ApplyPaymentUpdate(const PaymentUpdate&) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<std::vector<TransitionResult>> PostgresStorage::ExpireReservations(absl::Time,
                                                                                  int) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<TransitionResult> PostgresStorage::RefundOrder(const RefundRequest&) {
  return absl::UnimplementedError("TODO");
}
absl::StatusOr<Order> PostgresStorage::SettleRefund(OrderId, const Money&, absl::Time) {
  return absl::UnimplementedError("TODO");
}

}  // namespace watchstore::internal::pg
