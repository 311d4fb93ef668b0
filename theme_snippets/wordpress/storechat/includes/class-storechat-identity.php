<?php
/**
 * Signed shopper identity, format v1 (StoreChat's core/security/identity.py verifies it):
 *
 *   <customer_id>.<expires>.<signature>
 *
 * customer_id: the WordPress user id (also the WooCommerce customer id);
 * expires: Unix time in seconds; signature: lowercase hex HMAC-SHA256 keyed with
 * the identity secret of "storechat-identity-v1:<customer_id>.<expires>".
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * Signs the logged-in shopper for the widget.
 */
final class StoreChat_Identity {

	const PREFIX = 'storechat-identity-v1:';
	/** Seconds a token lives; the page that carries it is re-rendered far more often. */
	const TTL = 3600;

	/**
	 * The token for a customer id, or '' when there is no secret.
	 *
	 * @param string $secret      The shop's identity secret.
	 * @param string $customer_id The customer id to vouch for.
	 * @param int    $now         Unix time.
	 * @return string
	 */
	public static function sign( $secret, $customer_id, $now ) {
		$customer_id = (string) $customer_id;
		if ( '' === $secret || ! preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $customer_id ) ) {
			return '';
		}
		$expires = (int) $now + self::TTL;
		$payload = $customer_id . '.' . $expires;
		return $payload . '.' . hash_hmac( 'sha256', self::PREFIX . $payload, $secret );
	}

	/**
	 * The token for whoever is logged in now, or '' for visitors.
	 *
	 * @return string
	 */
	public static function current_shopper_token() {
		$user_id = get_current_user_id();
		if ( ! $user_id ) {
			return '';
		}
		$settings = StoreChat_Options::get();
		return self::sign( $settings['identity_secret'], (string) $user_id, time() );
	}
}
