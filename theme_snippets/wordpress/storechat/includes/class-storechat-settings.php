<?php
/**
 * Settings → StoreChat: server URL, site key, identity secret, and whether the
 * server knows this site key (the connection status).
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page, through the Settings API (options.php checks the nonce and the capability).
 */
final class StoreChat_Settings {

	const PAGE = 'storechat';
	const GROUP = 'storechat';
	const CAPABILITY = 'manage_options';
	const MIN_SECRET = 16;
	const STATUS_TIMEOUT = 3;

	/** Hooks. */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'register' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( STORECHAT_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/** The page under Settings. */
	public static function menu() {
		add_options_page(
			__( 'StoreChat', 'storechat' ),
			__( 'StoreChat', 'storechat' ),
			self::CAPABILITY,
			self::PAGE,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links The row's links.
	 * @return string[]
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'storechat' ) . '</a>' );
		return $links;
	}

	/** The setting, its section and fields. */
	public static function register() {
		register_setting(
			self::GROUP,
			StoreChat_Options::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => array(),
				'show_in_rest'      => false,
			)
		);
		add_settings_section(
			'storechat_server',
			__( 'Your StoreChat server', 'storechat' ),
			array( __CLASS__, 'render_section' ),
			self::PAGE
		);
		$fields = array(
			'server_url'      => __( 'Server URL', 'storechat' ),
			'site_key'        => __( 'Site key', 'storechat' ),
			'identity_secret' => __( 'Identity secret', 'storechat' ),
		);
		foreach ( $fields as $key => $label ) {
			add_settings_field(
				'storechat_' . $key,
				$label,
				array( __CLASS__, 'render_field' ),
				self::PAGE,
				'storechat_server',
				array(
					'key'       => $key,
					'label_for' => 'storechat_' . $key,
				)
			);
		}
	}

	/**
	 * A server URL as stored: http(s), with a host, no trailing slash; '' for empty, null when invalid.
	 *
	 * @param string $url What was entered.
	 * @return string|null
	 */
	public static function clean_server_url( $url ) {
		$url = trim( (string) $url );
		if ( '' === $url ) {
			return '';
		}
		$parts = wp_parse_url( $url );
		if ( ! $parts || empty( $parts['host'] ) || ! in_array( strtolower( (string) ( $parts['scheme'] ?? '' ) ), array( 'http', 'https' ), true ) ) {
			return null;
		}
		return untrailingslashit( esc_url_raw( $url, array( 'http', 'https' ) ) );
	}

	/**
	 * Cleans what the form sent; a bad value is reported and the saved one kept.
	 *
	 * @param mixed $input The submitted option value.
	 * @return array
	 */
	public static function sanitize( $input ) {
		$current = StoreChat_Options::get();
		// options.php has already unslashed the submitted value.
		$input = is_array( $input ) ? $input : array();
		$clean = $current;

		if ( isset( $input['server_url'] ) ) {
			$url = self::clean_server_url( (string) $input['server_url'] );
			if ( null === $url ) {
				add_settings_error( StoreChat_Options::OPTION, 'storechat_server_url', __( 'The server URL must be a full http:// or https:// address, like https://chat.example.com.', 'storechat' ) );
			} else {
				$clean['server_url'] = $url;
			}
		}

		if ( isset( $input['site_key'] ) ) {
			$clean['site_key'] = substr( sanitize_text_field( (string) $input['site_key'] ), 0, 64 );
		}

		// An empty secret field means "keep the saved one" (the page never shows it).
		if ( isset( $input['identity_secret'] ) && '' !== trim( (string) $input['identity_secret'] ) ) {
			$secret = trim( (string) $input['identity_secret'] );
			if ( strlen( $secret ) < self::MIN_SECRET || preg_match( '/[\x00-\x20\x7f]/', $secret ) ) {
				/* translators: %d: the minimum length of the identity secret. */
				add_settings_error( StoreChat_Options::OPTION, 'storechat_identity_secret', sprintf( __( 'The identity secret must be at least %d characters, without spaces.', 'storechat' ), self::MIN_SECRET ) );
			} else {
				$clean['identity_secret'] = $secret;
			}
		}
		if ( ! empty( $input['forget_identity_secret'] ) ) {
			$clean['identity_secret'] = '';
		}
		return $clean;
	}

	/** The section's introduction. */
	public static function render_section() {
		echo '<p>' . esc_html__( 'Connect this site (below) fills these in for you. To set them by hand, copy them from StoreChat (storechat shop connect prints them). The chat loads on every page of your site once the server URL and site key are set.', 'storechat' ) . '</p>';
	}

	/**
	 * One field.
	 *
	 * @param array $args The field's key.
	 */
	public static function render_field( $args ) {
		$key = $args['key'];
		$settings = StoreChat_Options::get();
		$name = StoreChat_Options::OPTION . '[' . $key . ']';
		$id = 'storechat_' . $key;
		if ( 'identity_secret' === $key ) {
			$saved = '' !== $settings['identity_secret'];
			printf(
				'<input type="password" id="%1$s" name="%2$s" value="" class="regular-text" autocomplete="new-password" placeholder="%3$s" />',
				esc_attr( $id ),
				esc_attr( $name ),
				esc_attr( $saved ? __( '(saved; leave empty to keep it)', 'storechat' ) : '' )
			);
			echo '<p class="description">' . esc_html__( 'Lets the assistant recognise logged-in customers and look up their orders without asking for an email. Never shown again after saving.', 'storechat' ) . '</p>';
			if ( $saved ) {
				printf(
					'<label><input type="checkbox" name="%1$s" value="1" /> %2$s</label>',
					esc_attr( StoreChat_Options::OPTION . '[forget_identity_secret]' ),
					esc_html__( 'Forget the saved secret', 'storechat' )
				);
			}
			return;
		}
		printf(
			'<input type="%1$s" id="%2$s" name="%3$s" value="%4$s" class="regular-text" %5$s/>',
			'server_url' === $key ? 'url' : 'text',
			esc_attr( $id ),
			esc_attr( $name ),
			esc_attr( $settings[ $key ] ),
			'server_url' === $key ? 'placeholder="https://chat.example.com" ' : ''
		);
	}

	/** The page. */
	public static function render() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage StoreChat.', 'storechat' ), '', array( 'response' => 403 ) );
		}
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		echo '<form action="' . esc_url( admin_url( 'options.php' ) ) . '" method="post">';
		settings_fields( self::GROUP );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';
		self::render_status();
		/** Lets the WooCommerce part add its "Connect WooCommerce" box. */
		do_action( 'storechat_settings_after' );
		echo '</div>';
	}

	/** The connection status, asked of the server now. */
	public static function render_status() {
		echo '<h2>' . esc_html__( 'Connection status', 'storechat' ) . '</h2>';
		$status = self::connection_status();
		printf(
			'<p id="storechat-status" class="storechat-status-%1$s"><strong>%2$s</strong></p>',
			esc_attr( $status['state'] ),
			esc_html( $status['message'] )
		);
	}

	/**
	 * Whether the configured server knows the site key: GET /widget/v1/chat-config (the chat's
	 * part of the widget's config, which names the shop).
	 *
	 * @return array{state: string, message: string}
	 */
	public static function connection_status() {
		$settings = StoreChat_Options::get();
		if ( ! StoreChat_Options::is_configured() ) {
			return array(
				'state'   => 'unconfigured',
				'message' => __( 'Not set up yet: enter the server URL and the site key above.', 'storechat' ),
			);
		}
		$url = add_query_arg( 'site_key', rawurlencode( $settings['site_key'] ), $settings['server_url'] . '/widget/v1/chat-config' );
		$response = wp_remote_get(
			$url,
			array(
				'timeout'     => self::STATUS_TIMEOUT,
				'redirection' => 2,
				'headers'     => array( 'Accept' => 'application/json' ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'state'   => 'error',
				/* translators: %s: the error message. */
				'message' => sprintf( __( 'Cannot reach the StoreChat server: %s', 'storechat' ), $response->get_error_message() ),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 === $code && is_array( $body ) && isset( $body['site_key'] ) && $body['site_key'] === $settings['site_key'] ) {
			return array(
				'state'   => 'connected',
				/* translators: %s: the shop's name on the StoreChat server. */
				'message' => sprintf( __( 'Connected: the server serves the chat of "%s".', 'storechat' ), isset( $body['name'] ) ? (string) $body['name'] : '' ),
			);
		}
		if ( 404 === $code ) {
			return array(
				'state'   => 'unknown_key',
				'message' => __( 'The server does not know this site key (or the shop is paused). Check the site key.', 'storechat' ),
			);
		}
		return array(
			'state'   => 'error',
			/* translators: %d: an HTTP status code. */
			'message' => sprintf( __( 'The StoreChat server answered HTTP %d; is the server URL right?', 'storechat' ), $code ),
		);
	}
}
