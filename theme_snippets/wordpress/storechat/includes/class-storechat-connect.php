<?php
/**
 * "Connect this site" and "Disconnect": the site gets its site key and identity
 * secret from StoreChat server to server, and gives them up again.
 *
 * Connect, format v1:
 *
 * 1. The button (admin-post, nonce, manage_options) saves the server URL, keeps a
 *    random single-use token for 30 minutes (option storechat_site_connect) and
 *    sends the browser to {server}/admin/wordpress/connect?site=<home_url>
 *    &return=<this settings page>&token=<token>.
 * 2. The merchant signs in to StoreChat (or creates the shop) and approves.
 * 3. StoreChat POSTs {"token", "site_key", "identity_secret"} as JSON to this
 *    site's REST route storechat/v1/connect. The token must be the pending one
 *    and live; it is used up at the first attempt that names it. The answer is
 *    {"status": "connected"}.
 * 4. StoreChat sends the browser back with storechat_connect=connected.
 *
 * Disconnect from StoreChat, format v1: POST storechat/v1/disconnect with the
 * JSON body {"site_key", "sent_at"} and the header X-StoreChat-Signature =
 * lowercase hex HMAC-SHA256, keyed with the identity secret, of
 * "storechat-wp-disconnect-v1:" followed by the raw body; sent_at within 5
 * minutes of now. The plugin then forgets its site key and secret (the loader
 * stops). The plugin's own Disconnect button tells StoreChat the same way
 * (StoreChat_Notify, topic site/disconnected) and forgets them too.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * The connect and disconnect buttons, their handlers and the REST routes.
 */
final class StoreChat_Connect {

	const CONNECT_ACTION = 'storechat_connect_site';
	const DISCONNECT_ACTION = 'storechat_disconnect_site';
	const CAPABILITY = 'manage_options';
	const TOKEN_TTL = 1800;
	const NAMESPACE_V1 = 'storechat/v1';
	const DISCONNECT_PREFIX = 'storechat-wp-disconnect-v1:';
	const MAX_SKEW = 300;

	/** Hooks. */
	public static function init() {
		add_action( 'storechat_settings_after', array( __CLASS__, 'render_box' ), 1 );
		add_action( 'admin_post_' . self::CONNECT_ACTION, array( __CLASS__, 'start_connect' ) );
		add_action( 'admin_post_' . self::DISCONNECT_ACTION, array( __CLASS__, 'disconnect' ) );
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	/** The REST routes StoreChat calls. Their check is the token or the signature, not a login. */
	public static function routes() {
		register_rest_route(
			self::NAMESPACE_V1,
			'/connect',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive_keys' ),
				'permission_callback' => '__return_true',
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/disconnect',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive_disconnect' ),
				'permission_callback' => '__return_true',
			)
		);
	}

	/** The site's address as StoreChat keys the shop: home_url() without a trailing slash. */
	public static function site_url() {
		return untrailingslashit( home_url() );
	}

	/** The settings page's address. */
	public static function settings_url() {
		return admin_url( 'options-general.php?page=' . StoreChat_Settings::PAGE );
	}

	/**
	 * The refusal the REST routes answer.
	 *
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param int    $status  HTTP status.
	 * @return WP_Error
	 */
	private static function refuse( $code, $message, $status ) {
		return new WP_Error( $code, $message, array( 'status' => $status ) );
	}

	/**
	 * POST storechat/v1/connect: StoreChat hands over the site key and identity secret.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function receive_keys( $request ) {
		$body = json_decode( (string) $request->get_body(), true );
		if ( ! is_array( $body ) || ! isset( $body['token'], $body['site_key'], $body['identity_secret'] ) ) {
			return self::refuse( 'storechat_bad_request', __( 'Expected token, site_key and identity_secret.', 'storechat' ), 400 );
		}
		$pending = get_option( StoreChat_Options::SITE_CONNECT_OPTION, array() );
		$token = (string) $body['token'];
		if ( ! is_array( $pending ) || empty( $pending['token'] ) || ! hash_equals( (string) $pending['token'], $token ) ) {
			return self::refuse( 'storechat_bad_token', __( 'No connect request with this token is pending.', 'storechat' ), 403 );
		}
		delete_option( StoreChat_Options::SITE_CONNECT_OPTION ); // single use
		if ( (int) $pending['expires'] < time() ) {
			return self::refuse( 'storechat_bad_token', __( 'The connect request has expired.', 'storechat' ), 403 );
		}
		$site_key = (string) $body['site_key'];
		$secret = (string) $body['identity_secret'];
		if ( ! preg_match( '/^sk_[A-Za-z0-9_-]{1,60}$/', $site_key ) || strlen( $secret ) < StoreChat_Settings::MIN_SECRET || strlen( $secret ) > 200 || preg_match( '/[\x00-\x20\x7f]/', $secret ) ) {
			return self::refuse( 'storechat_bad_request', __( 'The site key or identity secret is malformed.', 'storechat' ), 400 );
		}
		$settings = StoreChat_Options::get();
		$settings['site_key'] = $site_key;
		$settings['identity_secret'] = $secret;
		StoreChat_Options::save( $settings );
		return new WP_REST_Response( array( 'status' => 'connected' ), 200 );
	}

	/**
	 * POST storechat/v1/disconnect: StoreChat disconnected the site (signed, see the file comment).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function receive_disconnect( $request ) {
		$raw = (string) $request->get_body();
		$settings = StoreChat_Options::get();
		$given = (string) $request->get_header( 'X-StoreChat-Signature' );
		$expected = '' === $settings['identity_secret'] ? '' : hash_hmac( 'sha256', self::DISCONNECT_PREFIX . $raw, $settings['identity_secret'] );
		if ( '' === $expected || ! hash_equals( $expected, $given ) ) {
			return self::refuse( 'storechat_bad_signature', __( 'The signature does not match.', 'storechat' ), 401 );
		}
		$body = json_decode( $raw, true );
		if ( ! is_array( $body ) || ! isset( $body['site_key'], $body['sent_at'] ) || $body['site_key'] !== $settings['site_key'] || abs( time() - (int) $body['sent_at'] ) > self::MAX_SKEW ) {
			return self::refuse( 'storechat_bad_request', __( 'The notice is for another site key or too old.', 'storechat' ), 400 );
		}
		self::forget_keys();
		return new WP_REST_Response( array( 'status' => 'disconnected' ), 200 );
	}

	/** Drop the site key and identity secret: the loader stops, nothing is signed any more. */
	public static function forget_keys() {
		$settings = StoreChat_Options::get();
		$settings['site_key'] = '';
		$settings['identity_secret'] = '';
		StoreChat_Options::save( $settings );
		delete_option( StoreChat_Options::SITE_CONNECT_OPTION );
		delete_option( StoreChat_Options::OUTBOX_OPTION );
	}

	/** The "Connect this site" / "Disconnect" box at the top of the settings page. */
	public static function render_box() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$settings = StoreChat_Options::get();
		echo '<h2>' . esc_html__( 'Connection', 'storechat' ) . '</h2>';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a notice only; StoreChat's redirect back.
		$outcome = isset( $_GET['storechat_connect'] ) ? sanitize_key( wp_unslash( $_GET['storechat_connect'] ) ) : '';
		$connected = StoreChat_Options::is_configured() && '' !== $settings['identity_secret'];
		if ( 'connected' === $outcome && $connected ) {
			echo '<div class="notice notice-success inline"><p id="storechat-connected-notice">' . esc_html__( 'This site is connected to StoreChat: the chat is on every page and StoreChat is importing your published pages and posts.', 'storechat' ) . '</p></div>';
		}
		if ( $connected ) {
			/* translators: %s: the StoreChat server address. */
			echo '<p>' . esc_html( sprintf( __( 'Connected to %s. Pages and posts you publish, edit or trash reach the assistant within seconds.', 'storechat' ), $settings['server_url'] ) ) . '</p>';
			echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post">';
			echo '<input type="hidden" name="action" value="' . esc_attr( self::DISCONNECT_ACTION ) . '" />';
			wp_nonce_field( self::DISCONNECT_ACTION );
			submit_button( __( 'Disconnect', 'storechat' ), 'secondary', 'storechat_disconnect', false );
			echo '</form>';
			return;
		}
		echo '<p>' . esc_html__( 'Enter your StoreChat server\'s address and press Connect this site. You sign in to StoreChat (or create your shop there), approve, and come back here connected.', 'storechat' ) . '</p>';
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::CONNECT_ACTION ) . '" />';
		wp_nonce_field( self::CONNECT_ACTION );
		printf(
			'<label for="storechat_connect_server">%1$s</label> <input type="url" id="storechat_connect_server" name="server_url" value="%2$s" class="regular-text" placeholder="https://chat.example.com" required /> ',
			esc_html__( 'StoreChat server', 'storechat' ),
			esc_attr( $settings['server_url'] )
		);
		submit_button( __( 'Connect this site', 'storechat' ), 'primary', 'storechat_connect_site', false );
		echo '</form>';
	}

	/** The Connect button's handler: keep a token, send the browser to StoreChat. */
	public static function start_connect() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to connect StoreChat.', 'storechat' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::CONNECT_ACTION );
		$server = isset( $_POST['server_url'] ) ? StoreChat_Settings::clean_server_url( sanitize_text_field( wp_unslash( $_POST['server_url'] ) ) ) : null;
		if ( null === $server || '' === $server ) {
			wp_die( esc_html__( 'The server URL must be a full http:// or https:// address, like https://chat.example.com.', 'storechat' ), '', array( 'response' => 400 ) );
		}
		$settings = StoreChat_Options::get();
		$settings['server_url'] = $server;
		StoreChat_Options::save( $settings );
		$token = bin2hex( random_bytes( 16 ) );
		update_option(
			StoreChat_Options::SITE_CONNECT_OPTION,
			array(
				'token'   => $token,
				'expires' => time() + self::TOKEN_TTL,
			),
			false
		);
		$url = $server . '/admin/wordpress/connect?' . http_build_query(
			array(
				'site'   => self::site_url(),
				'return' => self::settings_url(),
				'token'  => $token,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
		$host = wp_parse_url( $server, PHP_URL_HOST );
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

	/** The Disconnect button's handler: tell StoreChat (best effort), forget the keys. */
	public static function disconnect() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to disconnect StoreChat.', 'storechat' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::DISCONNECT_ACTION );
		StoreChat_Notify::send_now( array( 'topic' => 'site/disconnected' ) );
		self::forget_keys();
		wp_safe_redirect( add_query_arg( 'storechat_connect', 'disconnected', self::settings_url() ) );
		exit;
	}
}
