<?php
/**
 * WooCommerce: the "Connect WooCommerce" button (WooCommerce's own key
 * authorization, /wc-auth/v1/authorize, with StoreChat's server as the callback)
 * and the chat's conversation id saved on orders for attribution.
 *
 * Loaded only when WooCommerce is active.
 *
 * Connect state, format v1 (the `user_id` WooCommerce sends back to the callback):
 *
 *   <nonce>.<expires>.<signature>
 *
 * nonce: 32 lowercase hex characters, random; expires: Unix time (seconds);
 * signature: lowercase hex HMAC-SHA256, keyed with the identity secret, of
 * "storechat-wc-connect-v1:<site_key>|<store_url>|<nonce>.<expires>", where
 * store_url is home_url() and also travels in the callback URL's `store` parameter.
 * The server accepts a nonce once.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * WooCommerce integration.
 */
final class StoreChat_WooCommerce {

	const ACTION = 'storechat_connect_woocommerce';
	const CAPABILITY = 'manage_woocommerce';
	const STATE_PREFIX = 'storechat-wc-connect-v1:';
	const STATE_TTL = 900;
	const ORDER_META = '_storechat_conversation';
	const FIELD = 'storechat_conversation';

	/** Hooks. */
	public static function init() {
		add_action( 'storechat_settings_after', array( __CLASS__, 'render_connect' ) );
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'start_connect' ) );
		// Attribution: a hidden field on the classic checkout, the cookie for the block checkout.
		add_action( 'woocommerce_after_order_notes', array( __CLASS__, 'hidden_field' ) );
		add_action( 'wp_footer', array( __CLASS__, 'checkout_script' ), 30 );
		add_action( 'woocommerce_checkout_create_order', array( __CLASS__, 'save_on_order' ), 10, 1 );
		add_action( 'woocommerce_store_api_checkout_update_order_from_request', array( __CLASS__, 'save_on_order' ), 10, 1 );
	}

	/**
	 * The connect state for this site (see the file comment).
	 *
	 * @param string $secret   Identity secret.
	 * @param string $site_key Site key.
	 * @param string $store    home_url().
	 * @param string $nonce    32 hex characters.
	 * @param int    $expires  Unix time.
	 * @return string
	 */
	public static function state( $secret, $site_key, $store, $nonce, $expires ) {
		$tail = $nonce . '.' . (int) $expires;
		return $tail . '.' . hash_hmac( 'sha256', self::STATE_PREFIX . $site_key . '|' . $store . '|' . $tail, $secret );
	}

	/**
	 * WooCommerce's authorization URL for a state.
	 *
	 * @param string $state The signed state.
	 * @return string
	 */
	public static function authorize_url( $state ) {
		$settings = StoreChat_Options::get();
		$store = home_url();
		$callback = $settings['server_url'] . '/connect/woocommerce/callback?' . http_build_query(
			array(
				'site_key' => $settings['site_key'],
				'store'    => $store,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
		$args = array(
			'app_name'     => 'StoreChat',
			'scope'        => 'read_write', // webhooks are created through the API, a write
			'user_id'      => $state,
			'return_url'   => admin_url( 'options-general.php?page=' . StoreChat_Settings::PAGE . '&storechat_wc=return' ),
			'callback_url' => $callback,
		);
		return home_url( '/wc-auth/v1/authorize' ) . '?' . http_build_query( $args, '', '&', PHP_QUERY_RFC3986 );
	}

	/** The "Connect WooCommerce" box on the settings page. */
	public static function render_connect() {
		echo '<h2>' . esc_html__( 'WooCommerce', 'storechat' ) . '</h2>';
		self::render_return_notice();
		$settings = StoreChat_Options::get();
		if ( ! StoreChat_Options::is_configured() || '' === $settings['identity_secret'] ) {
			echo '<p>' . esc_html__( 'Save the server URL, the site key and the identity secret first; then connect WooCommerce so the assistant can read your catalog and look up orders.', 'storechat' ) . '</p>';
			return;
		}
		if ( 0 !== strpos( $settings['server_url'], 'https://' ) ) {
			echo '<p class="notice notice-warning inline">' . esc_html__( 'WooCommerce only sends keys to an https:// server URL.', 'storechat' ) . '</p>';
		}
		echo '<p>' . esc_html__( 'WooCommerce will ask you to approve API access for StoreChat (read and write: StoreChat reads your catalog and orders and creates its webhooks; it changes nothing else). The keys go straight to your StoreChat server.', 'storechat' ) . '</p>';
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
		wp_nonce_field( self::ACTION );
		submit_button( __( 'Connect WooCommerce', 'storechat' ), 'secondary', 'storechat_connect', false );
		echo '</form>';
	}

	/** After WooCommerce sends the merchant back: ?storechat_wc=return&success=1&user_id=<state>. */
	private static function render_return_notice() {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- WooCommerce's redirect; the state is the check.
		if ( ! isset( $_GET['storechat_wc'], $_GET['user_id'] ) ) {
			return;
		}
		$state = sanitize_text_field( wp_unslash( $_GET['user_id'] ) );
		$success = isset( $_GET['success'] ) && '1' === $_GET['success'];
		// phpcs:enable
		$pending = get_option( StoreChat_Options::CONNECT_OPTION, '' );
		if ( '' === $pending || ! hash_equals( (string) $pending, $state ) ) {
			return;
		}
		delete_option( StoreChat_Options::CONNECT_OPTION );
		if ( $success ) {
			echo '<div class="notice notice-success inline"><p>' . esc_html__( 'WooCommerce is connected: StoreChat received its API keys and starts reading your catalog.', 'storechat' ) . '</p></div>';
		} else {
			echo '<div class="notice notice-error inline"><p>' . esc_html__( 'WooCommerce was not connected (access was denied).', 'storechat' ) . '</p></div>';
		}
	}

	/** The button's handler: check, make a single-use state, send the merchant to WooCommerce. */
	public static function start_connect() {
		if ( ! current_user_can( self::CAPABILITY ) && ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to connect WooCommerce.', 'storechat' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		$settings = StoreChat_Options::get();
		if ( ! StoreChat_Options::is_configured() || '' === $settings['identity_secret'] ) {
			wp_die( esc_html__( 'Save the server URL, the site key and the identity secret first.', 'storechat' ), '', array( 'response' => 400 ) );
		}
		$state = self::state( $settings['identity_secret'], $settings['site_key'], home_url(), bin2hex( random_bytes( 16 ) ), time() + self::STATE_TTL );
		update_option( StoreChat_Options::CONNECT_OPTION, $state, false );
		// The authorization screen is on this very site, so a safe redirect allows it.
		wp_safe_redirect( self::authorize_url( $state ) );
		exit;
	}

	/** The hidden field on the classic checkout form (filled by checkout_script). */
	public static function hidden_field() {
		echo '<input type="hidden" name="' . esc_attr( self::FIELD ) . '" id="' . esc_attr( self::FIELD ) . '" value="" />';
	}

	/**
	 * On the checkout page: copy the widget's conversation id (kept in localStorage
	 * under "storechat:<site key>") into the hidden field and a session cookie.
	 */
	public static function checkout_script() {
		if ( ! function_exists( 'is_checkout' ) || ! is_checkout() || ! StoreChat_Options::is_configured() ) {
			return;
		}
		$settings = StoreChat_Options::get();
		$js = '(function(){try{var s=JSON.parse(localStorage.getItem(' . wp_json_encode( 'storechat:' . $settings['site_key'] ) . ')),c=s&&s.conv;'
			. 'if(c==null||!/^[A-Za-z0-9_-]{1,64}$/.test(String(c)))return;c=String(c);'
			. 'document.cookie=' . wp_json_encode( self::FIELD . '=' ) . '+c+";path=/;SameSite=Lax";'
			. 'var f=document.getElementById(' . wp_json_encode( self::FIELD ) . ');if(f)f.value=c}catch(e){}})();';
		wp_print_inline_script_tag( $js, array( 'id' => 'storechat-attribution' ) );
	}

	/** The conversation id the checkout sent (field first, then cookie), or ''. */
	public static function submitted_conversation() {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- WooCommerce verified the checkout nonce.
		$value = '';
		if ( isset( $_POST[ self::FIELD ] ) ) {
			$value = sanitize_text_field( wp_unslash( $_POST[ self::FIELD ] ) );
		}
		if ( '' === $value && isset( $_COOKIE[ self::FIELD ] ) ) {
			$value = sanitize_text_field( wp_unslash( $_COOKIE[ self::FIELD ] ) );
		}
		// phpcs:enable
		return preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $value ) ? $value : '';
	}

	/**
	 * Saves the conversation id on the order being created.
	 *
	 * @param WC_Order $order The order.
	 */
	public static function save_on_order( $order ) {
		$conversation = self::submitted_conversation();
		if ( '' !== $conversation && is_object( $order ) && method_exists( $order, 'update_meta_data' ) ) {
			$order->update_meta_data( self::ORDER_META, $conversation );
		}
	}
}
