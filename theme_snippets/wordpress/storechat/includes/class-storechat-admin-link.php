<?php
/**
 * The "Open StoreChat inbox" button: signs the WordPress administrator in to
 * StoreChat's inbox through a short-lived, single-use link, no password needed.
 *
 * Sign-in link, format v1 (StoreChat's core/security/sign_in_link.py verifies it):
 *
 *   {server}/admin/wordpress/sign-in?site_key=<site_key>&email=<email>&name=<name>
 *       &expires=<expires>&nonce=<nonce>&signature=<signature>
 *
 * email, name: base64url (no padding) of the user's email address and display
 * name (UTF-8); expires: Unix time in seconds, 60 seconds ahead; nonce: 32
 * random lowercase hex characters; signature: lowercase hex HMAC-SHA256, keyed
 * with the identity secret, of
 * "storechat-wp-sign-in-v1:<site_key>|<email>|<name>|<expires>|<nonce>".
 * The server refuses a link past its expiry, one claiming more than 120 seconds
 * of life, and a nonce it has seen before.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * The button on the settings page and its admin-post handler.
 */
final class StoreChat_Admin_Link {

	const ACTION = 'storechat_open_inbox';
	const CAPABILITY = 'manage_options';
	const PREFIX = 'storechat-wp-sign-in-v1:';
	const TTL = 60;

	/** Hooks. */
	public static function init() {
		// Before the WooCommerce box (priority 10).
		add_action( 'storechat_settings_after', array( __CLASS__, 'render_button' ), 5 );
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'open_inbox' ) );
	}

	/**
	 * Base64url without padding (RFC 4648 section 5).
	 *
	 * @param string $text The text.
	 * @return string
	 */
	public static function b64( $text ) {
		return rtrim( strtr( base64_encode( (string) $text ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the link's format.
	}

	/**
	 * The signed sign-in link (see the file comment).
	 *
	 * @param string $server_url StoreChat's address, no trailing slash.
	 * @param string $secret     The identity secret.
	 * @param string $site_key   The site key.
	 * @param string $email      The user's email address.
	 * @param string $name       The user's display name.
	 * @param string $nonce      32 lowercase hex characters.
	 * @param int    $expires    Unix time.
	 * @return string
	 */
	public static function url( $server_url, $secret, $site_key, $email, $name, $nonce, $expires ) {
		$email = self::b64( $email );
		$name = self::b64( $name );
		$expires = (int) $expires;
		$message = self::PREFIX . $site_key . '|' . $email . '|' . $name . '|' . $expires . '|' . $nonce;
		$query = array(
			'site_key'  => $site_key,
			'email'     => $email,
			'name'      => $name,
			'expires'   => $expires,
			'nonce'     => $nonce,
			'signature' => hash_hmac( 'sha256', $message, $secret ),
		);
		return $server_url . '/admin/wordpress/sign-in?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
	}

	/** The "Open StoreChat inbox" box on the settings page, for administrators only. */
	public static function render_button() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		echo '<h2>' . esc_html__( 'Inbox', 'storechat' ) . '</h2>';
		$settings = StoreChat_Options::get();
		if ( ! StoreChat_Options::is_configured() || '' === $settings['identity_secret'] ) {
			echo '<p>' . esc_html__( 'Save the server URL, the site key and the identity secret first; then you can open your StoreChat inbox from here without a password.', 'storechat' ) . '</p>';
			return;
		}
		echo '<p>' . esc_html__( 'Answer your shoppers in StoreChat. You are signed in with your WordPress email address (as the shop\'s owner, the first time).', 'storechat' ) . '</p>';
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post" target="_blank">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
		wp_nonce_field( self::ACTION );
		submit_button( __( 'Open StoreChat inbox', 'storechat' ), 'primary', 'storechat_open_inbox', false );
		echo '</form>';
	}

	/** The button's handler: check, sign a link for the current user, send the browser to StoreChat. */
	public static function open_inbox() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to open the StoreChat inbox.', 'storechat' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		$settings = StoreChat_Options::get();
		if ( ! StoreChat_Options::is_configured() || '' === $settings['identity_secret'] ) {
			wp_die( esc_html__( 'Save the server URL, the site key and the identity secret first.', 'storechat' ), '', array( 'response' => 400 ) );
		}
		$user = wp_get_current_user();
		if ( ! $user->exists() || ! is_email( $user->user_email ) ) {
			wp_die( esc_html__( 'Your WordPress account has no valid email address.', 'storechat' ), '', array( 'response' => 400 ) );
		}
		$url = self::url(
			$settings['server_url'],
			$settings['identity_secret'],
			$settings['site_key'],
			$user->user_email,
			$user->display_name,
			bin2hex( random_bytes( 16 ) ),
			time() + self::TTL
		);
		// StoreChat lives on another host: allow it for this one redirect.
		$host = wp_parse_url( $settings['server_url'], PHP_URL_HOST );
		add_filter(
			'allowed_redirect_hosts',
			static function ( $hosts ) use ( $host ) {
				$hosts[] = $host;
				return $hosts;
			}
		);
		wp_safe_redirect( $url );
		exit;
	}
}
