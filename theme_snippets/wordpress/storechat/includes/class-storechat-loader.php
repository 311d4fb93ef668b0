<?php
/**
 * Puts the StoreChat loader on every front-end page: one small async script in
 * the footer, configured by data attributes (site key, locale, currency, and the
 * signed identity of a logged-in shopper).
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * Enqueues the loader and writes its tag.
 */
final class StoreChat_Loader {

	const HANDLE = 'storechat-loader';

	/** Hooks. */
	public static function init() {
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_filter( 'script_loader_tag', array( __CLASS__, 'tag' ), 10, 3 );
	}

	/** The loader's URL on the configured server. */
	public static function loader_url() {
		$settings = StoreChat_Options::get();
		return $settings['server_url'] . '/widget/v1/loader.js';
	}

	/** Enqueue the loader in the footer, async (the `strategy` argument exists since WordPress 6.3). */
	public static function enqueue() {
		if ( ! StoreChat_Options::is_configured() ) {
			return;
		}
		$args = version_compare( get_bloginfo( 'version' ), '6.3', '>=' )
			? array(
				'in_footer' => true,
				'strategy'  => 'async',
			)
			: true;
		// No ?ver=: the server caches the loader by its fixed URL.
		wp_enqueue_script( self::HANDLE, self::loader_url(), array(), null, $args );
	}

	/**
	 * The data attributes of the loader's tag, unescaped.
	 *
	 * @return array<string, string>
	 */
	public static function attributes() {
		$settings = StoreChat_Options::get();
		$attributes = array(
			'data-site-key' => $settings['site_key'],
			// BCP 47, like <html lang>: en_US -> en-US.
			'data-locale'   => str_replace( '_', '-', get_locale() ),
		);
		if ( function_exists( 'get_woocommerce_currency' ) ) {
			$attributes['data-currency'] = (string) get_woocommerce_currency();
		}
		$token = StoreChat_Identity::current_shopper_token();
		if ( '' !== $token ) {
			$attributes['data-identity'] = $token;
		}
		return $attributes;
	}

	/**
	 * Rewrites the loader's tag: async (before 6.3 only this filter can add it) and the data attributes.
	 *
	 * @param string $tag    The tag WordPress built.
	 * @param string $handle The script handle.
	 * @param string $src    The script URL.
	 * @return string
	 */
	public static function tag( $tag, $handle, $src ) {
		if ( self::HANDLE !== $handle ) {
			return $tag;
		}
		$html = '<script async src="' . esc_url( $src ) . '" id="' . esc_attr( self::HANDLE ) . '-js"';
		foreach ( self::attributes() as $name => $value ) {
			$html .= ' ' . $name . '="' . esc_attr( $value ) . '"';
		}
		return $html . "></script>\n";
	}
}
